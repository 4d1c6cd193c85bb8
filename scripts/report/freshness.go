package report

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/shared/readmodel"
)

// ReadModels are the collections whose freshness the report measures.
var ReadModels = []string{"users", "activities", "user_statistics", "daily_statistics"}

// Stamp field names (shared/readmodel.Meta).
const (
	committedAtField = "_committed_at"
	projectedAtField = "_projected_at"
)

// Freshness is, per read model, the commit-to-read-model latency of every
// document an event of the run changed: its last write's _projected_at
// minus the commit time of the event that caused it. A document changed
// several times in the run counts once, for its last change.
type Freshness struct {
	Latencies map[string][]time.Duration
	// LastWrite is the newest _projected_at among those documents.
	LastWrite time.Time
}

// ReadFreshness reads the stamps of the documents of collections changed
// by events committed at or after since.
func ReadFreshness(ctx context.Context, db *mongo.Database, collections []string, since time.Time) (Freshness, error) {
	out := Freshness{Latencies: map[string][]time.Duration{}}
	for _, name := range collections {
		coll, err := readmodel.Resolve(ctx, db, name)
		if err != nil {
			return out, err
		}
		cur, err := db.Collection(coll).Find(ctx,
			bson.D{{Key: committedAtField, Value: bson.D{{Key: "$gte", Value: since}}}},
			options.Find().SetProjection(bson.D{{Key: committedAtField, Value: 1}, {Key: projectedAtField, Value: 1}}))
		if err != nil {
			return Freshness{}, fmt.Errorf("report: read %s: %w", name, err)
		}
		var docs []struct {
			CommittedAt time.Time `bson:"_committed_at"`
			ProjectedAt time.Time `bson:"_projected_at"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			return Freshness{}, fmt.Errorf("report: read %s: %w", name, err)
		}
		latencies := make([]time.Duration, 0, len(docs))
		for _, d := range docs {
			latencies = append(latencies, d.ProjectedAt.Sub(d.CommittedAt))
			if d.ProjectedAt.After(out.LastWrite) {
				out.LastWrite = d.ProjectedAt
			}
		}
		out.Latencies[name] = latencies
	}
	return out, nil
}

// All is every read model's latencies together.
func (f Freshness) All() []time.Duration {
	var all []time.Duration
	for _, name := range ReadModels {
		all = append(all, f.Latencies[name]...)
	}
	return all
}
