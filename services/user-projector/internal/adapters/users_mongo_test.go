package adapters_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/shared/readmodel/readmodeltest"

	"github.com/activityapp/event-processor/services/user-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

// The stored document has the field names and BSON types docs/events.md
// promises readers.
func TestMongoUserDocumentShape(t *testing.T) {
	docs := readmodeltest.Stored(t, newMongoRepository, adapters.UsersCollection, map[string]user.User{
		"live": liveUser("live"), "deleted": deletedUser("deleted"), "partial": partialUser("partial"),
	})
	date := bson.NewDateTimeFromTime

	assert.Equal(t, bson.M{
		"_id": "live", "_rev": int64(1),
		"email": "ada@example.com", "username": "ada", "full_name": "Ada Lovelace", "city": "London",
		"status": "active", "created_at": date(t0), "updated_at": date(t0.Add(3 * time.Minute)), "deleted_at": nil,
		"version": int64(4), "field_versions": readmodeltest.Document(liveUser("").Versions),
	}, docs["live"], "no deletion_reason on a live user")

	assert.Equal(t, bson.M{
		"_id": "deleted", "_rev": int64(1),
		"email": "grace@example.com", "username": "grace", "full_name": "Grace Hopper", "city": "Arlington",
		"status": "deleted", "created_at": date(t0), "updated_at": date(t0.Add(time.Hour)),
		"deleted_at": date(t0.Add(time.Hour)), "deletion_reason": "requested by the user",
		"version": int64(7), "field_versions": readmodeltest.Document(deletedUser("").Versions),
	}, docs["deleted"])

	// A user not created yet has a null created_at, not the zero time.
	assert.Contains(t, docs["partial"], "created_at")
	assert.Nil(t, docs["partial"]["created_at"])
}

// The repository indexes the fields readers look users up by.
func TestMongoRepositoryCreatesItsIndexes(t *testing.T) {
	readmodeltest.CheckIndexes(t, newMongoRepository, adapters.UsersCollection, map[string]bson.D{
		"email":      {{Key: "email", Value: int32(1)}},
		"status":     {{Key: "status", Value: int32(1)}},
		"updated_at": {{Key: "updated_at", Value: int32(1)}},
	})
}
