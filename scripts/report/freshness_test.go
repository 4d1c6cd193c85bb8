package report_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/scripts/report"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

// Only documents changed by events committed since the run started count,
// each with its write time minus its event's commit time.
func TestReadFreshness(t *testing.T) {
	t.Parallel()
	db := mongotest.Database(t)
	runStart := sec(10)
	docs := map[string][]any{
		"users": {
			bson.D{{Key: "_id", Value: "old"}, {Key: "_committed_at", Value: sec(1)}, {Key: "_projected_at", Value: sec(1.1)}},
			bson.D{{Key: "_id", Value: "u1"}, {Key: "_committed_at", Value: sec(10)}, {Key: "_projected_at", Value: sec(10.12)}},
			bson.D{{Key: "_id", Value: "u2"}, {Key: "_committed_at", Value: sec(11)}, {Key: "_projected_at", Value: sec(11.25)}},
			bson.D{{Key: "_id", Value: "unstamped"}, {Key: "email", Value: "x@example.org"}},
		},
		"daily_statistics": {
			bson.D{{Key: "_id", Value: "d1"}, {Key: "_committed_at", Value: sec(12)}, {Key: "_projected_at", Value: sec(12.5)}},
		},
	}
	for coll, ds := range docs {
		_, err := db.Collection(coll).InsertMany(t.Context(), ds)
		require.NoError(t, err)
	}

	f, err := report.ReadFreshness(t.Context(), db, report.ReadModels, runStart)
	require.NoError(t, err)
	assert.ElementsMatch(t, []time.Duration{120 * time.Millisecond, 250 * time.Millisecond}, f.Latencies["users"])
	assert.Equal(t, []time.Duration{500 * time.Millisecond}, f.Latencies["daily_statistics"])
	assert.Empty(t, f.Latencies["activities"])
	assert.Len(t, f.All(), 3)
	assert.Equal(t, sec(12.5), f.LastWrite)
}
