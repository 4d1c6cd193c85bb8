package readmodel_test

// Benchmarks of Store.Update, what every projected event costs in MongoDB,
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
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/shared/outbox"
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

// BenchmarkStoreUpdate updates the documents of a collection of
// benchDocuments in turn, with the event being projected on the context as
// a projector has it (its commit time stamps the document).
//   - change: what an event that changes its document costs;
//   - no_change: what a redelivered or stale event costs;
//   - cold: the document is not in the store's cache (a fresh store each
//     time): a read, and for a change a replace guarded by the revision
//     read;
//   - warm: the store wrote the document before (the usual case: each
//     document has one writer, its partition's consumer): a change is the
//     guarded replace alone, no change costs no round trip.
func BenchmarkStoreUpdate(b *testing.B) {
	for _, bc := range []struct {
		name    string
		changes bool
		warm    bool
	}{
		{"change/cold", true, false},
		{"change/warm", true, true},
		{"no_change/cold", false, false},
		{"no_change/warm", false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			coll := mongotest.Database(b).Collection(notesCollectionName)
			s := readmodel.NewStore[noteDocument](coll)
			ids := seedNotes(b, s)
			ctx := outbox.WithEvent(context.Background(), outbox.Event{
				EventID: "bench", Source: outbox.Source{CommitTime: t0.Add(time.Minute)},
			})
			want := make(map[string]int64, len(ids))
			for _, id := range ids {
				want[id] = 1
			}
			update := func(s *noteStore, id string, version int64, changes bool) {
				err := s.Update(ctx, id, func(d *noteDocument) (bool, error) {
					if !changes {
						return false, nil
					}
					d.tag("hot", version)
					return true, nil
				})
				if err != nil {
					b.Fatal(err)
				}
				if changes {
					want[id]++
				}
			}
			if bc.warm {
				for _, id := range ids {
					update(s, id, 1, true)
				}
			}
			var n int
			b.ReportAllocs()
			for b.Loop() {
				store := s
				if !bc.warm {
					store = readmodel.NewStore[noteDocument](coll)
				}
				update(store, ids[n%len(ids)], int64(100+n), bc.changes)
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
			require.Equal(b, want, revisions(b, s), "one write per changing update, none otherwise")
		})
	}
}
