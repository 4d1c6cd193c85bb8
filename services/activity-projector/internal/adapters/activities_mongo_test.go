package adapters_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/shared/readmodel/readmodeltest"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

// member is an entry of an activity document's members.
func member(userID string, joined bool, at time.Time, version int64) bson.M {
	return bson.M{"user_id": userID, "joined": joined, "at": bson.NewDateTimeFromTime(at), "version": version}
}

// The stored document has the field names and BSON types docs/events.md
// promises readers: participants earliest first (ties by user id), members
// sorted by user id.
func TestMongoActivityDocumentShape(t *testing.T) {
	docs := readmodeltest.Stored(t, newMongoRepository, adapters.ActivitiesCollection, map[string]activity.Activity{
		"scheduled": scheduledActivity("scheduled"), "cancelled": cancelledActivity("cancelled"),
		"partial": partialActivity("partial"),
	})
	date := bson.NewDateTimeFromTime

	assert.Equal(t, bson.M{
		"_id": "scheduled", "_rev": int64(1),
		"creator_id": "u-creator", "title": "Morning run", "description": "5k easy", "category": "running",
		"location": "Hyde Park", "starts_at": date(starts), "max_participants": int32(10),
		"status": "scheduled", "cancelled_at": nil,
		"created_at": date(t0), "updated_at": date(t0.Add(time.Minute)),
		"participants": bson.A{}, "participant_count": int32(0), "members": bson.A{},
		"version": int64(2), "field_versions": readmodeltest.Document(scheduledActivity("").Versions),
	}, docs["scheduled"], "no cancel_reason; empty arrays, not null")

	assert.Equal(t, bson.M{
		"_id": "cancelled", "_rev": int64(1),
		"creator_id": "u-creator", "title": "Evening swim", "description": "", "category": "swimming",
		"location": "Lido", "starts_at": date(starts), "max_participants": int32(0),
		"status": "cancelled", "cancelled_at": date(t0.Add(time.Hour)), "cancel_reason": "pool closed",
		"created_at": date(t0), "updated_at": date(t0.Add(time.Hour)),
		"participants": bson.A{
			bson.M{"user_id": "u-a", "joined_at": date(t0.Add(time.Minute))},
			bson.M{"user_id": "u-0", "joined_at": date(t0.Add(2 * time.Minute))},
			bson.M{"user_id": "u-b", "joined_at": date(t0.Add(2 * time.Minute))},
		},
		"participant_count": int32(3),
		"members": bson.A{
			member("u-0", true, t0.Add(2*time.Minute), 4),
			member("u-a", true, t0.Add(time.Minute), 2),
			member("u-b", true, t0.Add(2*time.Minute), 3),
			member("u-c", false, t0.Add(4*time.Minute), 6),
		},
		"version": int64(7), "field_versions": readmodeltest.Document(cancelledActivity("").Versions),
	}, docs["cancelled"])

	// An activity not created yet has a null starts_at and created_at, not
	// the zero time.
	for _, field := range []string{"starts_at", "created_at", "cancelled_at", "field_versions"} {
		assert.Contains(t, docs["partial"], field)
		assert.Nil(t, docs["partial"][field], field)
	}
	assert.Equal(t, bson.A{bson.M{"user_id": "u1", "joined_at": date(t0)}}, docs["partial"]["participants"])
}

// The repository indexes an activity's creator, its participants, and
// its status with its start for listings of what is coming up.
func TestMongoRepositoryCreatesItsIndexes(t *testing.T) {
	readmodeltest.CheckIndexes(t, newMongoRepository, adapters.ActivitiesCollection, map[string]bson.D{
		"creator_id":           {{Key: "creator_id", Value: int32(1)}},
		"status_starts_at":     {{Key: "status", Value: int32(1)}, {Key: "starts_at", Value: int32(1)}},
		"participants_user_id": {{Key: "participants.user_id", Value: int32(1)}},
	})
}
