package adapters_test

// Benchmarks of the statistics writer over StatisticsMongo: what a batch of
// contributions costs in MongoDB, on the server TestMain started: FerretDB
// on PostgreSQL unless TEST_MONGODB_URI names a real MongoDB. These show
// the stand-in's ceiling: FerretDB translates every command into SQL on
// PostgreSQL and is many times slower than MongoDB, so its numbers are not
// MongoDB's. FerretDB runs in the test process: B/op and allocs/op include
// its work.
//
// Run: go test -run '^$' -bench . ./internal/adapters/

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// Hot documents: a day's counts of every counted type and a few hundred
// busy users, each doing a few events in a row.
//
// A batch updates fewer than 50 users: FerretDB v1.24 holds a PostgreSQL
// connection (of a pool of 50) for every document one update command
// matches, until the command ends, so a bulk write updating 50 existing
// documents hangs the stand-in for good (testkit README). MongoDB has no
// such limit.
const (
	benchDay     = "2026-11-27"
	benchUsers   = 300
	eventsInARow = 7 // a batch of 250 events touches 37 users
)

// hotContribution is the i-th contribution of the benchmark: daily and
// per-user ones in turn, two per event, each to one of the hot documents,
// the event at offset i/2 of outbox partition 0.
func hotContribution(i int) stats.Contribution {
	event := i / 2
	eventID := fmt.Sprintf("bench-%d", event)
	if i%2 == 0 {
		return dailyContribution(eventID, benchDay, stats.EventTypes[event%len(stats.EventTypes)], int64(event))
	}
	user := fmt.Sprintf("hot-user-%03d", (event/eventsInARow)%benchUsers)
	return userContribution(eventID, user, int64(event), 0, 1, 0, at)
}

// hotBatch is the size contributions from the from-th on.
func hotBatch(from, size int) []stats.Contribution {
	cs := make([]stats.Contribution, size)
	for i := range cs {
		cs[i] = hotContribution(from + i)
	}
	return cs
}

// BenchmarkStatisticsMongoApply counts batches of contributions to the hot
// documents, each batch in one Writer.Apply:
//   - batch=N: every contribution is new (past the watermark): each
//     document the batch touches is written once, in one bulk write per
//     collection; the documents come from the store's own copies after the
//     first batch;
//   - duplicate: every contribution was counted before, as after a
//     redelivery: nothing is written.
//
// contributions/s is the throughput; round-trips/contribution what a
// contribution costs in commands to MongoDB.
func BenchmarkStatisticsMongoApply(b *testing.B) {
	for _, size := range []int{1, 10, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			db := mongotest.Database(b)
			in := newInstance(b, db)
			var n int
			b.ReportAllocs()
			for b.Loop() {
				if err := in.writer.Apply(b.Context(), hotBatch(n, size)); err != nil {
					b.Fatal(err)
				}
				n += size
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "contributions/s")
			b.ReportMetric(float64(in.roundTrips())/float64(n), "round-trips/contribution")

			// Each daily contribution counted exactly once.
			require.EqualValues(b, (n+1)/2, dailyCount(b, db), "daily contributions counted")
		})
	}

	b.Run("duplicate", func(b *testing.B) {
		db := mongotest.Database(b)
		in := newInstance(b, db)
		const counted, size = 1000, 100
		for from := 0; from < counted; from += 500 {
			in.apply(b, hotBatch(from, 500)...)
		}
		written, trips := in.written(), in.roundTrips()
		var n int
		b.ReportAllocs()
		for b.Loop() {
			if err := in.writer.Apply(b.Context(), hotBatch(n%counted, size)); err != nil {
				b.Fatal(err)
			}
			n += size
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "contributions/s")
		b.ReportMetric(float64(in.roundTrips()-trips)/float64(n), "round-trips/contribution")
		require.Equal(b, written, in.written(), "duplicates write nothing")
		require.EqualValues(b, counted/2, dailyCount(b, db), "daily contributions counted")
	})
}

// dailyCount is the sum of the daily counts: the events counted.
func dailyCount(b *testing.B, db *mongo.Database) int64 {
	b.Helper()
	cur, err := db.Collection(stats.DailyStatistics).Find(b.Context(), bson.D{})
	require.NoError(b, err)
	var docs []struct {
		Count int64 `bson:"count"`
	}
	require.NoError(b, cur.All(b.Context(), &docs))
	var counted int64
	for _, d := range docs {
		counted += d.Count
	}
	return counted
}
