package readmodel_test

// Benchmarks of Store.UpdateBatch, what projected events cost in MongoDB,
// on the server TestMain started: FerretDB on PostgreSQL unless
// TEST_MONGODB_URI names a real MongoDB. These show the stand-in's
// ceiling: FerretDB translates every command into SQL on PostgreSQL and
// is many times slower than MongoDB, so its numbers are not MongoDB's.
// FerretDB runs in the test process: B/op and allocs/op include its work.
//
// Run: go test -run '^$' -bench . ./readmodel/

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

// benchDocuments is the size of the collection the benchmarks update.
const benchDocuments = 1000

// seedNotes inserts benchDocuments notes at revision 1, each with a few
// tags, and returns their ids.
func seedNotes(b *testing.B, s *noteStore) []string {
	b.Helper()
	ids := make([]string, benchDocuments)
	docs := make([]any, benchDocuments)
	for i := range ids {
		ids[i] = fmt.Sprintf("note-%04d", i)
		d := noteDocument{Meta: readmodel.Meta{ID: ids[i], Rev: 1}, Title: "Note " + ids[i], PinnedAt: &t0}
		for k := range 10 {
			d.tag(fmt.Sprintf("tag-%d", k), int64(k))
		}
		docs[i] = d
	}
	_, err := s.Collection().InsertMany(b.Context(), docs)
	require.NoError(b, err)
	return ids
}

// revisions reads every document's _rev, by id.
func revisions(b *testing.B, s *noteStore) map[string]int64 {
	b.Helper()
	cur, err := s.Collection().Find(b.Context(), bson.D{})
	require.NoError(b, err)
	var docs []noteDocument
	require.NoError(b, cur.All(b.Context(), &docs))
	out := make(map[string]int64, len(docs))
	for _, d := range docs {
		out[d.ID] = d.Rev
	}
	return out
}

// BenchmarkStoreUpdateBatch writes batches of distinct documents of a
// collection of benchDocuments in turn, as a projector does with the events
// of one partition's batch:
//   - size: documents per batch (1 is what one event at a time costs);
//   - cold: the documents are not in the store's cache (a fresh store each
//     batch): one read of the batch's documents, then one bulk write;
//   - warm: the store wrote them before (the usual case: each document has
//     one writer, its partition's consumer): the bulk write alone.
//
// It reports documents written per second and store round trips per
// document.
func BenchmarkStoreUpdateBatch(b *testing.B) {
	for _, size := range []int{1, 10, 100, 500} {
		for _, warm := range []bool{false, true} {
			name := fmt.Sprintf("size=%d/cold", size)
			if warm {
				name = fmt.Sprintf("size=%d/warm", size)
			}
			b.Run(name, func(b *testing.B) {
				coll := mongotest.Database(b).Collection(notesCollectionName)
				s := readmodel.NewStore[noteDocument](coll)
				ids := seedNotes(b, s)
				want := make(map[string]int64, len(ids))
				for _, id := range ids {
					want[id] = 1
				}
				var total readmodel.WriteStats
				write := func(s *noteStore, batch []string, version int64) {
					changes := make([]readmodel.Change[*noteDocument], len(batch))
					for i, id := range batch {
						changes[i] = readmodel.Change[*noteDocument]{ID: id, CommittedAt: t0, Apply: func(d *noteDocument) (bool, error) {
							d.tag("hot", version)
							return true, nil
						}}
						want[id]++
					}
					stats, err := s.UpdateBatch(context.Background(), changes)
					if err != nil {
						b.Fatal(err)
					}
					total = total.Add(stats)
				}
				if warm {
					for chunk := range slices.Chunk(ids, 500) {
						write(s, chunk, 1)
					}
					total = readmodel.WriteStats{}
				}
				var n int
				b.ReportAllocs()
				for b.Loop() {
					store := s
					if !warm {
						store = readmodel.NewStore[noteDocument](coll)
					}
					from := (n * size) % len(ids)
					write(store, ids[from:min(from+size, len(ids))], int64(100+n))
					n++
				}
				b.ReportMetric(float64(total.Documents)/b.Elapsed().Seconds(), "docs/s")
				b.ReportMetric(float64(total.RoundTrips)/float64(max(total.Documents, 1)), "trips/doc")
				require.Equal(b, want, revisions(b, s), "one write per changed document")
			})
		}
	}
}
