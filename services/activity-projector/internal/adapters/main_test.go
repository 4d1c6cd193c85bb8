package adapters_test

import (
	"context"
	"os"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
)

// TestMain starts one FerretDB (on a throwaway PostgreSQL) for the
// package; every test takes a fresh database with mongotest.Database.
func TestMain(m *testing.M) {
	os.Exit(mongotest.Main(m))
}

// newMongoRepository is the MongoDB repository with counters of its own.
func newMongoRepository(ctx context.Context, db *mongo.Database) (*adapters.ActivitiesMongoRepository, error) {
	return adapters.NewActivitiesMongoRepository(ctx, db, readmodel.Namer{}, nil)
}
