package readmodel_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/metrics/metricstest"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/shared/readmodel/readmodeltest"
)

func tagChange(id, tag string, version int64) readmodel.Change[*noteDocument] {
	return readmodel.Change[*noteDocument]{ID: id, CommittedAt: t0, Apply: func(d *noteDocument) (bool, error) {
		if d.Tags[tag] >= version {
			return false, nil // idempotent, as every projection is
		}
		d.tag(tag, version)
		return true, nil
	}}
}

// A batch folds every change of a document into one write: one read for
// the documents the store has not written before, one bulk write for all
// the changed ones, whatever the number of changes.
func TestUpdateBatchWritesEachDocumentOnce(t *testing.T) {
	coll, cmds := monitoredCollection(t, notesCollection(t))
	counters := prometheus.NewRegistry()
	s := readmodel.NewStore[noteDocument](coll, readmodel.WithMetrics(counters))
	put(t, readmodel.NewStore[noteDocument](coll), "old", noteDocument{Title: "existing"})
	finds, writes := cmds.of("find"), cmds.of("update")

	stats, err := s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{
		tagChange("a", "x", 1), tagChange("b", "x", 1), tagChange("a", "y", 2),
		tagChange("old", "x", 1), tagChange("a", "x", 1), // a duplicate changes nothing
		tagChange("b", "y", 2), tagChange("a", "z", 3),
	})
	require.NoError(t, err)
	assert.Equal(t, readmodel.WriteStats{Documents: 3, RoundTrips: 4}, stats)
	assert.Equal(t, finds+3, cmds.of("find"), "one read per document the store has no copy of")
	assert.Equal(t, writes+1, cmds.of("update"), "one bulk write")
	assert.InDelta(t, 3, metricstest.Value(t, counters, metrics.StoreDocumentsWritten, "collection", notesCollectionName), 0)
	assert.InDelta(t, 1, metricstest.Value(t, counters, metrics.StoreRoundTrips, "collection", notesCollectionName, "op", "write"), 0)
	assert.InDelta(t, 3, metricstest.Value(t, counters, metrics.StoreRoundTrips, "collection", notesCollectionName, "op", "read"), 0)

	for id, want := range map[string]map[string]int64{
		"a": {"x": 1, "y": 2, "z": 3}, "b": {"x": 1, "y": 2}, "old": {"x": 1},
	} {
		got := getDocument(t, s, id)
		assert.Equal(t, want, got.Tags, id)
		assert.Equal(t, len(want), got.TagCount, id)
	}
	assert.EqualValues(t, 1, readmodeltest.RawDocument(t, coll, "a")["_rev"], "a new document, written once")
	assert.EqualValues(t, 2, readmodeltest.RawDocument(t, coll, "old")["_rev"])

	// The next batch of the same documents starts from the store's copies.
	finds = cmds.of("find")
	stats, err = s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{tagChange("a", "w", 4), tagChange("old", "x", 1)})
	require.NoError(t, err)
	assert.Equal(t, readmodel.WriteStats{Documents: 1, RoundTrips: 1}, stats, "a written, old unchanged")
	assert.Equal(t, finds, cmds.of("find"))
}

// A change that creates its document skips the read of a document the
// store has no copy of; a wrong guess (the document exists: a replay after
// a restart) fails the write's guard, and the document is read and the
// changes applied to it, so nothing is lost.
func TestUpdateBatchTakesCreatedDocumentsToBeNew(t *testing.T) {
	coll, cmds := monitoredCollection(t, notesCollection(t))
	put(t, readmodel.NewStore[noteDocument](coll), "old", noteDocument{Title: "existing", Tags: map[string]int64{"x": 1}, TagCount: 1})
	s := readmodel.NewStore[noteDocument](coll)
	finds := cmds.of("find")

	created := func(id string) readmodel.Change[*noteDocument] {
		c := tagChange(id, "y", 2)
		c.Creates = true
		return c
	}
	stats, err := s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{created("new1"), created("new2")})
	require.NoError(t, err)
	assert.Equal(t, readmodel.WriteStats{Documents: 2, RoundTrips: 1}, stats, "no reads, one write")
	assert.Equal(t, finds, cmds.of("find"))

	_, err = s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{created("old"), created("new3")})
	require.NoError(t, err)
	got := getDocument(t, s, "old")
	assert.Equal(t, "existing", got.Title, "the stored document, not a new one")
	assert.Equal(t, map[string]int64{"x": 1, "y": 2}, got.Tags)
	assert.EqualValues(t, 2, got.Rev)
	assert.EqualValues(t, 1, getDocument(t, s, "new3").Rev)
}

// A document another writer moved on fails its guard alone: only it is read
// again and its changes applied again; the rest of the batch is written
// once, and nothing of either writer is lost.
func TestUpdateBatchRefoldsOnlyConflictedDocuments(t *testing.T) {
	coll := notesCollection(t)
	s, other := readmodel.NewStore[noteDocument](coll), readmodel.NewStore[noteDocument](coll)
	var batch []readmodel.Change[*noteDocument]
	for i := range 20 {
		id := fmt.Sprintf("n%02d", i)
		put(t, s, id, noteDocument{Title: id})
		batch = append(batch, tagChange(id, "mine", 5))
	}
	// Another instance writes n00 and n07 behind the store's back.
	for _, id := range []string{"n00", "n07"} {
		require.NoError(t, other.Update(t.Context(), id, func(d *noteDocument) (bool, error) {
			d.tag("theirs", 3)
			return true, nil
		}))
	}
	calls := map[string]int{}
	for i := range batch {
		apply := batch[i].Apply
		batch[i].Apply = func(d *noteDocument) (bool, error) { calls[d.ID]++; return apply(d) }
	}

	stats, err := s.UpdateBatch(t.Context(), batch)
	require.NoError(t, err)
	assert.Equal(t, 2, calls["n00"], "n00: the stale copy, then the stored document")
	assert.Equal(t, 2, calls["n07"])
	assert.Equal(t, 20, stats.Documents)
	for i := range 20 {
		id := fmt.Sprintf("n%02d", i)
		got := getDocument(t, s, id)
		assert.Equal(t, int64(5), got.Tags["mine"], id)
		if id == "n00" || id == "n07" {
			assert.Equal(t, int64(3), got.Tags["theirs"], "%s: the other writer's change is kept", id)
			assert.EqualValues(t, 3, got.Rev, id)
		} else {
			assert.EqualValues(t, 2, got.Rev, id)
		}
	}
}

// A failing change stops the batch with its error and writes nothing.
func TestUpdateBatchStopsAtAFailingChange(t *testing.T) {
	coll := notesCollection(t)
	s := readmodel.NewStore[noteDocument](coll)
	boom := fmt.Errorf("boom")
	_, err := s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{
		tagChange("a", "x", 1),
		{ID: "b", Apply: func(*noteDocument) (bool, error) { return false, boom }},
	})
	require.ErrorIs(t, err, boom)
	n, err := coll.CountDocuments(t.Context(), map[string]any{})
	require.NoError(t, err)
	assert.Zero(t, n)
}

// Many partitions writing batches at once, as twelve partitions of a busy
// projector do: FerretDB hangs for good when a dozen clients send bulk
// upserts concurrently, so the stores bound the writes in flight. This
// would hang (and fail on its deadline) without that bound.
func TestUpdateBatchUnderConcurrentPartitions(t *testing.T) {
	coll := notesCollection(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const partitions, rounds, docs = 12, 5, 12
	var wg sync.WaitGroup
	errs := make(chan error, partitions)
	for p := range partitions {
		wg.Go(func() {
			s := readmodel.NewStore[noteDocument](coll)
			for r := range rounds {
				var batch []readmodel.Change[*noteDocument]
				for d := range docs {
					batch = append(batch, tagChange(fmt.Sprintf("p%02d-d%02d", p, d), fmt.Sprintf("r%d", r), int64(r+1)))
				}
				if _, err := s.UpdateBatch(ctx, batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	n, err := coll.CountDocuments(ctx, map[string]any{"_rev": rounds})
	require.NoError(t, err)
	assert.EqualValues(t, partitions*docs, n, "every document written once per round")
}

// A batch that fails (here: its context ends before the write, as a
// timeout under load would) leaves the store's copies as they were, so
// the retry needs no reads; and nothing of the failed batch sticks.
func TestUpdateBatchKeepsItsCopiesWhenItFails(t *testing.T) {
	coll, cmds := monitoredCollection(t, notesCollection(t))
	s := readmodel.NewStore[noteDocument](coll)
	_, err := s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{tagChange("a", "x", 1), tagChange("b", "x", 1)})
	require.NoError(t, err)
	finds := cmds.of("find")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = s.UpdateBatch(ctx, []readmodel.Change[*noteDocument]{tagChange("a", "y", 2), tagChange("b", "y", 2)})
	require.ErrorIs(t, err, context.Canceled)

	stats, err := s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{tagChange("a", "y", 2), tagChange("b", "y", 2)})
	require.NoError(t, err)
	assert.Equal(t, readmodel.WriteStats{Documents: 2, RoundTrips: 1}, stats, "no reads: the copies were kept")
	assert.Equal(t, finds, cmds.of("find"))
	for _, id := range []string{"a", "b"} {
		got := getDocument(t, s, id)
		assert.Equal(t, map[string]int64{"x": 1, "y": 2}, got.Tags, id)
		assert.EqualValues(t, 2, got.Rev, id)
	}
}

// Every change that modified a written document is timed from its event's
// commit to the write; changes that modified nothing, and writes with no
// event behind them, are not. A guard conflict folds the changes again
// without timing them twice.
func TestUpdateBatchTimesCommitToWrite(t *testing.T) {
	coll := notesCollection(t)
	reg := prometheus.NewRegistry()
	s := readmodel.NewStore[noteDocument](coll, readmodel.WithMetrics(reg))
	// The store's copy of "old" goes stale, so that its next write conflicts.
	_, err := s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{tagChange("old", "seed", 1)})
	require.NoError(t, err)
	require.NoError(t, readmodel.NewStore[noteDocument](coll).Update(t.Context(), "old", func(d *noteDocument) (bool, error) {
		d.Title = "moved on"
		return true, nil
	}))
	before := metricstest.Value(t, reg, metrics.CommitToWrite, "read_model", notesCollectionName)
	beforeSum := metricstest.HistogramSum(t, reg, metrics.CommitToWrite, "read_model", notesCollectionName)

	committed := time.Now().Add(-2 * time.Second)
	at := func(c readmodel.Change[*noteDocument]) readmodel.Change[*noteDocument] {
		c.CommittedAt = committed
		return c
	}
	untimed := tagChange("c", "x", 1)
	untimed.CommittedAt = time.Time{}
	began := time.Now()
	_, err = s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{
		at(tagChange("a", "x", 1)), at(tagChange("a", "y", 2)), at(tagChange("a", "x", 1)), // the last changes nothing
		at(tagChange("old", "x", 1)), untimed,
	})
	require.NoError(t, err)
	require.Equal(t, "moved on", getDocument(t, s, "old").Title, "the conflict was resolved by reading old again")
	elapsed := time.Since(began)

	timed := metricstest.Value(t, reg, metrics.CommitToWrite, "read_model", notesCollectionName) - before
	assert.InDelta(t, 3, timed, 0, "a's two changes and old's one, once")
	sum := metricstest.HistogramSum(t, reg, metrics.CommitToWrite, "read_model", notesCollectionName) - beforeSum
	assert.GreaterOrEqual(t, sum, 3*2.0)
	assert.LessOrEqual(t, sum, 3*(2+elapsed.Seconds()+1))
}
