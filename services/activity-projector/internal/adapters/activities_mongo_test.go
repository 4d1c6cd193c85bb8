package adapters_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

// A join written between Update's read and its guarded replace makes the
// replace miss; Update reads again and reapplies its change, so both joins
// are kept: no lost participant.
func TestMongoRepositoryRetriesAfterAConcurrentWrite(t *testing.T) {
	db := mongotest.Database(t)
	repo, other := newMongoRepository(t, db), newMongoRepository(t, db)
	store(t, repo, scheduledActivity("a1"))

	calls := 0
	require.NoError(t, repo.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) {
		calls++
		if calls == 1 {
			require.NoError(t, other.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) {
				a.Members = map[string]activity.Member{"u-other": {Joined: true, At: t0, Version: 3}}
				return true, nil
			}))
		} else {
			assert.Contains(t, a.Members, "u-other", "the retry starts from the concurrent write")
		}
		if a.Members == nil {
			a.Members = map[string]activity.Member{}
		}
		a.Members["u-mine"] = activity.Member{Joined: true, At: t0.Add(time.Second), Version: 4}
		return true, nil
	}))
	assert.Equal(t, 2, calls, "one conflict, one retry")

	want := scheduledActivity("a1")
	want.Members = map[string]activity.Member{
		"u-other": {Joined: true, At: t0, Version: 3},
		"u-mine":  {Joined: true, At: t0.Add(time.Second), Version: 4},
	}
	got, _ := get(t, repo, "a1")
	assert.Equal(t, want, got)
	raw := rawActivity(t, db, "a1")
	assert.EqualValues(t, 3, raw["_rev"], "three writes: the first, the concurrent one, the retried one")
	assert.EqualValues(t, 2, raw["participant_count"])
}

// Two writers creating the same document: the insert that loses becomes an
// update of the winner's document.
func TestMongoRepositoryRetriesWhenAnotherWriterCreatesTheDocument(t *testing.T) {
	db := mongotest.Database(t)
	repo, other := newMongoRepository(t, db), newMongoRepository(t, db)

	calls := 0
	require.NoError(t, repo.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) {
		calls++
		if calls == 1 {
			store(t, other, scheduledActivity("a1"))
		} else {
			assert.Equal(t, scheduledActivity("a1"), *a, "the retry starts from the other writer's document")
		}
		a.Members = map[string]activity.Member{"u-mine": {Joined: true, At: t0, Version: 3}}
		return true, nil
	}))
	assert.Equal(t, 2, calls)

	want := scheduledActivity("a1")
	want.Members = map[string]activity.Member{"u-mine": {Joined: true, At: t0, Version: 3}}
	got, _ := get(t, repo, "a1")
	assert.Equal(t, want, got)
	assert.EqualValues(t, 2, rawActivity(t, db, "a1")["_rev"])
}

// A document that changes under every attempt: Update gives up with
// ErrConflict, a transient error (the message is retried, never poisoned),
// and the concurrent writes stay intact.
func TestMongoRepositoryGivesUpAfterRepeatedConflicts(t *testing.T) {
	db := mongotest.Database(t)
	repo, other := newMongoRepository(t, db), newMongoRepository(t, db)
	store(t, repo, scheduledActivity("a1"))

	calls := 0
	err := repo.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) {
		calls++
		require.NoError(t, other.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) {
			a.Title = fmt.Sprintf("title %d", calls)
			return true, nil
		}))
		a.Location = "never stored"
		return true, nil
	})
	require.ErrorIs(t, err, readmodel.ErrConflict)
	assert.False(t, fault.IsPermanent(err), "a conflict is transient")
	assert.Greater(t, calls, 1, "Update retried")

	got, _ := get(t, repo, "a1")
	assert.Equal(t, fmt.Sprintf("title %d", calls), got.Title, "the last concurrent write is kept")
	assert.Equal(t, "Hyde Park", got.Location)
	assert.EqualValues(t, 1+calls, rawActivity(t, db, "a1")["_rev"])
}

func TestMongoRepositoryCreatesItsIndexes(t *testing.T) {
	db := mongotest.Database(t)
	newMongoRepository(t, db)
	want := map[string]bson.D{
		"_id_":                 {{Key: "_id", Value: int32(1)}},
		"creator_id":           {{Key: "creator_id", Value: int32(1)}},
		"status_starts_at":     {{Key: "status", Value: int32(1)}, {Key: "starts_at", Value: int32(1)}},
		"participants_user_id": {{Key: "participants.user_id", Value: int32(1)}},
	}
	assert.Equal(t, want, indexes(t, db))

	// A restarted service constructs the repository again on existing
	// indexes.
	newMongoRepository(t, db)
	assert.Equal(t, want, indexes(t, db))
}

// The stored document has the field names and BSON types docs/events.md
// promises readers: participants earliest first (ties by user id), members
// sorted by user id.
func TestMongoActivityDocumentShape(t *testing.T) {
	db := mongotest.Database(t)
	repo := newMongoRepository(t, db)
	store(t, repo, scheduledActivity("scheduled"))
	store(t, repo, cancelledActivity("cancelled"))

	fieldVersions := func(v map[string]int64) bson.M {
		m := bson.M{}
		for k, n := range v {
			m[k] = n
		}
		return m
	}
	date := func(t time.Time) bson.DateTime { return bson.NewDateTimeFromTime(t) }

	assert.Equal(t, bson.M{
		"_id": "scheduled", "_rev": int64(1),
		"creator_id": "u-creator", "title": "Morning run", "description": "5k easy", "category": "running",
		"location": "Hyde Park", "starts_at": date(starts), "max_participants": int32(10),
		"status": "scheduled", "cancelled_at": nil,
		"created_at": date(t0), "updated_at": date(t0.Add(time.Minute)),
		"participants": bson.A{}, "participant_count": int32(0), "members": bson.A{},
		"version": int64(2), "field_versions": fieldVersions(scheduledActivity("").Versions),
	}, rawActivity(t, db, "scheduled"), "no cancel_reason; empty arrays, not null")

	member := func(id string, joined bool, at time.Time, version int64) bson.M {
		return bson.M{"user_id": id, "joined": joined, "at": date(at), "version": version}
	}
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
		"version": int64(7), "field_versions": fieldVersions(cancelledActivity("").Versions),
	}, rawActivity(t, db, "cancelled"))

	// An activity seen only through a join has no starts_at or created_at
	// yet: null, not the zero time.
	require.NoError(t, repo.Update(t.Context(), "partial", func(a *activity.Activity) (bool, error) {
		a.Status = activity.StatusScheduled
		a.Members = map[string]activity.Member{"u1": {Joined: true, At: t0, Version: 2}}
		a.Version, a.UpdatedAt = 2, t0
		return true, nil
	}))
	raw := rawActivity(t, db, "partial")
	for _, field := range []string{"starts_at", "created_at", "cancelled_at", "field_versions"} {
		assert.Contains(t, raw, field)
		assert.Nil(t, raw[field], field)
	}
	assert.Equal(t, bson.A{bson.M{"user_id": "u1", "joined_at": date(t0)}}, raw["participants"])
}

// rawActivity reads the stored document, nested documents as bson.M.
func rawActivity(t *testing.T, db *mongo.Database, id string) bson.M {
	t.Helper()
	raw, err := db.Collection(adapters.ActivitiesCollection).FindOne(t.Context(), bson.D{{Key: "_id", Value: id}}).Raw()
	require.NoError(t, err)
	dec := bson.NewDecoder(bson.NewDocumentReader(bytes.NewReader(raw)))
	dec.DefaultDocumentM()
	var m bson.M
	require.NoError(t, dec.Decode(&m))
	return m
}

func indexes(t *testing.T, db *mongo.Database) map[string]bson.D {
	t.Helper()
	cur, err := db.Collection(adapters.ActivitiesCollection).Indexes().List(t.Context())
	require.NoError(t, err)
	var specs []struct {
		Name string `bson:"name"`
		Key  bson.D `bson:"key"`
	}
	require.NoError(t, cur.All(t.Context(), &specs))
	out := map[string]bson.D{}
	for _, s := range specs {
		out[s.Name] = s.Key
	}
	return out
}
