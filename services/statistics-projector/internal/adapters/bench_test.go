package adapters_test

// Benchmarks of LedgerMongo.Apply, what the statistics writer pays per
// contribution in MongoDB, on the server TestMain started: FerretDB on
// PostgreSQL unless TEST_MONGODB_URI names a real MongoDB. These show the
// stand-in's ceiling: FerretDB translates every command into SQL on
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

	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// Hot documents: a day's counts of two event types and four busy users.
var (
	benchDailyTypes = []string{"ParticipantJoined", "ParticipantLeft"}
	benchUsers      = []string{"hot-user-0", "hot-user-1", "hot-user-2", "hot-user-3"}
)

const benchDay = "2026-11-27"

// hotContribution is the i-th contribution of the benchmark: daily and
// per-user ones in turn, each to one of a few hot documents.
func hotContribution(i int) stats.Contribution {
	eventID := fmt.Sprintf("bench-%d", i/2)
	if i%2 == 0 {
		return dailyContribution(eventID, benchDay, benchDailyTypes[(i/2)%len(benchDailyTypes)])
	}
	return userContribution(eventID, benchUsers[(i/2)%len(benchUsers)], 0, 1, 0, at)
}

// BenchmarkLedgerMongoApply applies contributions to a few hot documents,
// whose ledger grows as it runs.
//   - new: every contribution is new: its ledger entry is recorded and
//     absorbed by its document;
//   - duplicate: every contribution was applied before, as after a
//     redelivery, and must be recognised and left alone.
func BenchmarkLedgerMongoApply(b *testing.B) {
	b.Run("new", func(b *testing.B) {
		db := mongotest.Database(b)
		l, err := adapters.NewLedgerMongo(b.Context(), db)
		require.NoError(b, err)
		var n int
		b.ReportAllocs()
		for b.Loop() {
			applied, err := l.Apply(b.Context(), hotContribution(n))
			if err != nil {
				b.Fatal(err)
			}
			if !applied {
				b.Fatalf("contribution %d not applied", n)
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")

		// Each daily contribution counted exactly once.
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
		require.EqualValues(b, (n+1)/2, counted, "daily contributions counted")
	})

	b.Run("duplicate", func(b *testing.B) {
		l, err := adapters.NewLedgerMongo(b.Context(), mongotest.Database(b))
		require.NoError(b, err)
		// A ledger of a realistic length behind the hot documents.
		const applied = 200
		for i := range applied {
			_, err := l.Apply(b.Context(), hotContribution(i))
			require.NoError(b, err)
		}
		var n int
		b.ReportAllocs()
		for b.Loop() {
			again, err := l.Apply(b.Context(), hotContribution(n%applied))
			if err != nil {
				b.Fatal(err)
			}
			if again {
				b.Fatalf("contribution %d applied twice", n%applied)
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
	})
}
