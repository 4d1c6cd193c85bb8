package readmodel_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/shared/readmodel/readmodeltest"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

// t0 has millisecond precision, as every time MongoDB keeps.
var t0 = time.Date(2026, 11, 27, 10, 15, 30, 123_000_000, time.UTC)

// noteDocument is the test document: a field, a map, a pointer and a field
// derived from the map, as the services' documents have them.
type noteDocument struct {
	readmodel.Meta `bson:",inline"`
	Title          string           `bson:"title"`
	Tags           map[string]int64 `bson:"tags"`
	TagCount       int              `bson:"tag_count"`
	PinnedAt       *time.Time       `bson:"pinned_at"`
}

type noteStore = readmodel.Store[noteDocument, *noteDocument]

// tag sets tag on d and recounts the tags.
func (d *noteDocument) tag(tag string, version int64) {
	if d.Tags == nil {
		d.Tags = map[string]int64{}
	}
	d.Tags[tag] = version
	d.TagCount = len(d.Tags)
}

const notesCollectionName = "notes"

func notesCollection(t *testing.T) *mongo.Collection {
	return mongotest.Database(t).Collection(notesCollectionName)
}

// put writes doc (its Meta ignored) as document id.
func put(t *testing.T, s *noteStore, id string, doc noteDocument) {
	t.Helper()
	require.NoError(t, s.Update(t.Context(), id, func(cur *noteDocument) (bool, error) {
		cur.Title, cur.Tags, cur.TagCount, cur.PinnedAt = doc.Title, maps.Clone(doc.Tags), doc.TagCount, doc.PinnedAt
		return true, nil
	}))
}

// getDocument reads document id, checks it is stamped and returns it
// without the stamp.
func getDocument(t *testing.T, s *noteStore, id string) noteDocument {
	t.Helper()
	doc, found, err := s.Get(t.Context(), id)
	require.NoError(t, err)
	require.True(t, found, id)
	assert.False(t, doc.ProjectedAt.IsZero(), "%s: written without _projected_at", id)
	return unstamped(doc)
}

// unstamped is doc without its freshness stamps.
func unstamped(doc noteDocument) noteDocument {
	doc.CommittedAt, doc.ProjectedAt = time.Time{}, time.Time{}
	return doc
}

func TestStoreWritesAndReadsDocuments(t *testing.T) {
	coll := notesCollection(t)
	s := readmodel.NewStore[noteDocument](coll)
	assert.Same(t, coll, s.Collection())

	_, found, err := s.Get(t.Context(), "n1")
	require.NoError(t, err)
	assert.False(t, found)

	pinned := t0
	put(t, s, "n1", noteDocument{Title: "first", Tags: map[string]int64{"a": 1}, TagCount: 1, PinnedAt: &pinned})
	assert.Equal(t, noteDocument{
		Meta:  readmodel.Meta{ID: "n1", Rev: 1},
		Title: "first", Tags: map[string]int64{"a": 1}, TagCount: 1, PinnedAt: &pinned,
	}, getDocument(t, s, "n1"))

	// Update starts from the stored document, its revision included, and
	// counts the write.
	require.NoError(t, s.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
		assert.Equal(t, readmodel.Meta{ID: "n1", Rev: 1}, unstamped(*d).Meta)
		d.tag("b", 2)
		return true, nil
	}))
	assert.EqualValues(t, 2, readmodeltest.RawDocument(t, coll, "n1")["_rev"])

	// A change reporting no modification writes nothing.
	require.NoError(t, s.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
		d.Title = "ignored"
		return false, nil
	}))
	got := getDocument(t, s, "n1")
	assert.Equal(t, "first", got.Title)
	assert.EqualValues(t, 2, got.Rev)
}

// A writer that changes the document between Update's read and its guarded
// replace makes the replace miss; Update reads again and reapplies its
// change on top of the other write, so neither write is lost.
func TestStoreRetriesAfterAConcurrentWrite(t *testing.T) {
	coll := notesCollection(t)
	s, other := readmodel.NewStore[noteDocument](coll), readmodel.NewStore[noteDocument](coll)
	put(t, s, "n1", noteDocument{Title: "first"})

	calls := 0
	require.NoError(t, s.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
		calls++
		if calls == 1 {
			require.NoError(t, other.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
				d.tag("other", 3)
				return true, nil
			}))
		} else {
			assert.Contains(t, d.Tags, "other", "the retry starts from the concurrent write")
		}
		d.tag("mine", 4)
		return true, nil
	}))
	assert.Equal(t, 2, calls, "one conflict, one retry")

	assert.Equal(t, noteDocument{
		Meta:  readmodel.Meta{ID: "n1", Rev: 3},
		Title: "first", Tags: map[string]int64{"other": 3, "mine": 4}, TagCount: 2,
	}, getDocument(t, s, "n1"))
	raw := readmodeltest.RawDocument(t, coll, "n1")
	assert.EqualValues(t, 3, raw["_rev"], "three writes: the first, the concurrent one, the retried one")
	assert.EqualValues(t, 2, raw["tag_count"], "the field derived by the change counts both writes")
}

// Two writers creating the same document: the insert that loses becomes an
// update of the winner's document.
func TestStoreRetriesWhenAnotherWriterCreatesTheDocument(t *testing.T) {
	coll := notesCollection(t)
	s, other := readmodel.NewStore[noteDocument](coll), readmodel.NewStore[noteDocument](coll)
	theirs := noteDocument{Title: "theirs", Tags: map[string]int64{"other": 3}, TagCount: 1}

	calls := 0
	require.NoError(t, s.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
		calls++
		if calls == 1 {
			assert.Equal(t, noteDocument{Meta: readmodel.Meta{ID: "n1"}}, *d, "a new document")
			put(t, other, "n1", theirs)
		} else {
			want := theirs
			want.Meta = readmodel.Meta{ID: "n1", Rev: 1}
			assert.Equal(t, want, unstamped(*d), "the retry starts from the other writer's document")
		}
		d.tag("mine", 4)
		return true, nil
	}))
	assert.Equal(t, 2, calls)

	assert.Equal(t, noteDocument{
		Meta:  readmodel.Meta{ID: "n1", Rev: 2},
		Title: "theirs", Tags: map[string]int64{"other": 3, "mine": 4}, TagCount: 2,
	}, getDocument(t, s, "n1"))
	assert.EqualValues(t, 2, readmodeltest.RawDocument(t, coll, "n1")["_rev"])
}

// A document that changes under every attempt: Update gives up with
// ErrConflict, a transient error (the message is retried, never poisoned),
// and the concurrent writes stay intact.
func TestStoreGivesUpAfterRepeatedConflicts(t *testing.T) {
	coll := notesCollection(t)
	s, other := readmodel.NewStore[noteDocument](coll), readmodel.NewStore[noteDocument](coll)
	put(t, s, "n1", noteDocument{Title: "first"})

	calls := 0
	err := s.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
		calls++
		require.NoError(t, other.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
			d.Title = fmt.Sprintf("title %d", calls)
			return true, nil
		}))
		d.tag("never stored", 9)
		return true, nil
	})
	require.ErrorIs(t, err, readmodel.ErrConflict)
	assert.False(t, fault.IsPermanent(err), "a conflict is transient")
	assert.Greater(t, calls, 1, "Update retried")

	got := getDocument(t, s, "n1")
	assert.Equal(t, fmt.Sprintf("title %d", calls), got.Title, "the last concurrent write is kept")
	assert.Empty(t, got.Tags)
	assert.EqualValues(t, 1+calls, readmodeltest.RawDocument(t, coll, "n1")["_rev"])
}

// The repository's change runs again on a conflict, on the value mapped
// from the document the other writer stored, and the retried write is
// mapped again: fields derived from the whole value count both writes.
func TestMongoRepositoryMapsTheRetriedChange(t *testing.T) {
	coll := notesCollection(t)
	repo, other := newNoteRepository(coll), newNoteRepository(coll)
	readmodeltest.Store(t, repo, "n1", note{ID: "n1", Title: "first"})

	calls := 0
	require.NoError(t, repo.Update(t.Context(), "n1", func(n *note) (bool, error) {
		calls++
		if calls == 1 {
			readmodeltest.Store(t, other, "n1", note{ID: "n1", Title: "first", Tags: map[string]int64{"other": 3}})
		} else {
			assert.Equal(t, map[string]int64{"other": 3}, n.Tags, "the retry starts from the concurrent write")
		}
		if n.Tags == nil {
			n.Tags = map[string]int64{}
		}
		n.Tags["mine"] = 4
		return true, nil
	}))
	assert.Equal(t, 2, calls, "one conflict, one retry")

	got, _ := readmodeltest.Get(t, repo, "n1")
	assert.Equal(t, note{ID: "n1", Title: "first", Tags: map[string]int64{"other": 3, "mine": 4}}, got)
	raw := readmodeltest.RawDocument(t, coll, "n1")
	assert.EqualValues(t, 3, raw["_rev"])
	assert.EqualValues(t, 2, raw["tag_count"])
}

func TestStoreHonoursContextCancellation(t *testing.T) {
	coll := notesCollection(t)
	s := readmodel.NewStore[noteDocument](coll)
	repo := newNoteRepository(coll)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, _, err := s.Get(ctx, "n1")
	require.ErrorIs(t, err, context.Canceled)
	err = s.Update(ctx, "n1", func(*noteDocument) (bool, error) { return true, nil })
	require.ErrorIs(t, err, context.Canceled)

	// The repository over the store passes the error on.
	_, _, err = repo.Get(ctx, "n1")
	require.ErrorIs(t, err, context.Canceled)
	err = repo.Update(ctx, "n1", func(*note) (bool, error) { return true, nil })
	require.ErrorIs(t, err, context.Canceled)
}

// Every write records when the newest event that changed the document
// committed and when it was written; a batch that changes nothing leaves
// both alone, which is what keeps a replay from touching them.
func TestStoreStampsEveryWrite(t *testing.T) {
	coll := notesCollection(t)
	s := readmodel.NewStore[noteDocument](coll)
	committed := time.Date(2026, 11, 27, 14, 0, 0, 123_456_000, time.FixedZone("CET", 3600))
	title := func(v string) func(*noteDocument) (bool, error) {
		return func(d *noteDocument) (bool, error) { d.Title = v; return true, nil }
	}
	unchanged := func(*noteDocument) (bool, error) { return false, nil }

	before := time.Now()
	_, err := s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{
		{ID: "n1", CommittedAt: committed, Apply: title("first")},
		// An older event later in the batch does not move the stamp back,
		// nor does a newer one that changes nothing move it on.
		{ID: "n1", CommittedAt: committed.Add(-time.Minute), Apply: title("first")},
		{ID: "n1", CommittedAt: committed.Add(time.Minute), Apply: unchanged},
	})
	require.NoError(t, err)
	after := time.Now()
	raw := readmodeltest.RawDocument(t, coll, "n1")
	assert.Equal(t, bson.NewDateTimeFromTime(committed), raw[readmodel.CommittedAtField], "commit time, UTC milliseconds")
	projected := raw[readmodel.ProjectedAtField].(bson.DateTime).Time()
	assert.False(t, projected.Before(before.Truncate(time.Millisecond)) || projected.After(after), "projected at %v, written between %v and %v", projected, before, after)

	// Nothing changed: nothing written, stamps untouched.
	_, err = s.UpdateBatch(t.Context(), []readmodel.Change[*noteDocument]{{ID: "n1", CommittedAt: committed.Add(time.Hour), Apply: unchanged}})
	require.NoError(t, err)
	assert.Equal(t, raw, readmodeltest.RawDocument(t, coll, "n1"))

	// A write with no event behind it (a tool) records no commit time.
	require.NoError(t, s.Update(t.Context(), "n1", title("third")))
	raw = readmodeltest.RawDocument(t, coll, "n1")
	assert.NotContains(t, raw, readmodel.CommittedAtField)
	assert.Contains(t, raw, readmodel.ProjectedAtField)
}

// commands counts the commands a store sends, by name.
type commands struct {
	mu    sync.Mutex
	count map[string]int
}

func (c *commands) of(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count[name]
}

// monitoredCollection is coll reached through a client that counts its
// commands.
func monitoredCollection(t *testing.T, coll *mongo.Collection) (*mongo.Collection, *commands) {
	t.Helper()
	c := &commands{count: map[string]int{}}
	client, err := mongo.Connect(options.Client().ApplyURI(mongotest.URI(t)).SetMonitor(&event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.count[e.CommandName]++
		},
	}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client.Database(coll.Database().Name()).Collection(coll.Name()), c
}

// A document the store wrote is changed next from its own copy: one round
// trip per write. A copy gone stale (another writer got there in between)
// fails the revision guard, and the store reads the document again, so the
// other write is kept; a change that fails leaves the copy as stored.
func TestStoreWritesFromItsOwnCopy(t *testing.T) {
	coll, cmds := monitoredCollection(t, notesCollection(t))
	s, other := readmodel.NewStore[noteDocument](coll), readmodel.NewStore[noteDocument](coll)

	put(t, s, "n1", noteDocument{Title: "first"})
	reads := cmds.of("find")
	for i := range 3 {
		require.NoError(t, s.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
			d.tag(fmt.Sprintf("t%d", i), int64(i))
			return true, nil
		}))
	}
	assert.Equal(t, reads, cmds.of("find"), "no reads: the store changed its own copy")
	assert.EqualValues(t, 4, readmodeltest.RawDocument(t, coll, "n1")["_rev"])

	// Another writer moves the document on; the stale copy is noticed.
	require.NoError(t, other.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
		d.Title = "theirs"
		return true, nil
	}))
	calls := 0
	require.NoError(t, s.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
		calls++
		d.tag("mine", 9)
		return true, nil
	}))
	assert.Equal(t, 2, calls, "the stale copy, then the document read again")
	got := getDocument(t, s, "n1")
	assert.Equal(t, "theirs", got.Title, "the other writer's change is kept")
	assert.Equal(t, map[string]int64{"t0": 0, "t1": 1, "t2": 2, "mine": 9}, got.Tags)
	assert.EqualValues(t, 6, got.Rev)

	// A failing change may leave the copy half changed: the store keeps
	// the document as it was stored before, not the half-changed copy.
	reads = cmds.of("find")
	require.Error(t, s.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
		d.Title = "half"
		return false, errors.New("boom")
	}))
	require.NoError(t, s.Update(t.Context(), "n1", func(d *noteDocument) (bool, error) {
		assert.Equal(t, "theirs", d.Title, "the stored document, not the half-changed copy")
		return false, nil
	}))
	assert.Equal(t, reads, cmds.of("find"), "kept, not read again")
}
