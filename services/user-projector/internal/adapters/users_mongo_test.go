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

	"github.com/activityapp/event-processor/services/user-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

// A writer that changes the document between Update's read and its guarded
// replace makes the replace miss; Update reads again and reapplies its
// change on top of the other write, so neither write is lost.
func TestMongoRepositoryRetriesAfterAConcurrentWrite(t *testing.T) {
	db := mongotest.Database(t)
	repo, other := newMongoRepository(t, db), newMongoRepository(t, db)
	store(t, repo, liveUser("u1"))

	calls := 0
	require.NoError(t, repo.Update(t.Context(), "u1", func(u *user.User) (bool, error) {
		calls++
		if calls == 1 {
			require.NoError(t, other.Update(t.Context(), "u1", func(u *user.User) (bool, error) {
				u.City, u.Versions["city"] = "Paris", 5
				return true, nil
			}))
		} else {
			assert.Equal(t, "Paris", u.City, "the retry starts from the concurrent write")
		}
		u.FullName, u.Versions["full_name"] = "Ada King", 6
		return true, nil
	}))
	assert.Equal(t, 2, calls, "one conflict, one retry")

	want := liveUser("u1")
	want.City, want.Versions["city"] = "Paris", 5
	want.FullName, want.Versions["full_name"] = "Ada King", 6
	got, _ := get(t, repo, "u1")
	assert.Equal(t, want, got)
	assert.EqualValues(t, 3, rawUser(t, db, "u1")["_rev"], "three writes: the first, the concurrent one, the retried one")
}

// Two writers creating the same document: the insert that loses becomes an
// update of the winner's document.
func TestMongoRepositoryRetriesWhenAnotherWriterCreatesTheDocument(t *testing.T) {
	db := mongotest.Database(t)
	repo, other := newMongoRepository(t, db), newMongoRepository(t, db)

	calls := 0
	require.NoError(t, repo.Update(t.Context(), "u1", func(u *user.User) (bool, error) {
		calls++
		if calls == 1 {
			store(t, other, liveUser("u1"))
		} else {
			assert.Equal(t, liveUser("u1"), *u, "the retry starts from the other writer's document")
		}
		u.FullName, u.Versions = "Ada King", mergeVersions(u.Versions, "full_name", 6)
		return true, nil
	}))
	assert.Equal(t, 2, calls)

	want := liveUser("u1")
	want.FullName, want.Versions["full_name"] = "Ada King", 6
	got, _ := get(t, repo, "u1")
	assert.Equal(t, want, got)
	assert.EqualValues(t, 2, rawUser(t, db, "u1")["_rev"])
}

// A document that changes under every attempt: Update gives up with
// ErrConflict, a transient error (the message is retried, never poisoned),
// and the concurrent writes stay intact.
func TestMongoRepositoryGivesUpAfterRepeatedConflicts(t *testing.T) {
	db := mongotest.Database(t)
	repo, other := newMongoRepository(t, db), newMongoRepository(t, db)
	store(t, repo, liveUser("u1"))

	calls := 0
	err := repo.Update(t.Context(), "u1", func(u *user.User) (bool, error) {
		calls++
		require.NoError(t, other.Update(t.Context(), "u1", func(u *user.User) (bool, error) {
			u.City = fmt.Sprintf("city %d", calls)
			return true, nil
		}))
		u.FullName = "never stored"
		return true, nil
	})
	require.ErrorIs(t, err, readmodel.ErrConflict)
	assert.False(t, fault.IsPermanent(err), "a conflict is transient")
	assert.Greater(t, calls, 1, "Update retried")

	got, _ := get(t, repo, "u1")
	assert.Equal(t, fmt.Sprintf("city %d", calls), got.City, "the last concurrent write is kept")
	assert.Equal(t, "Ada Lovelace", got.FullName)
	assert.EqualValues(t, 1+calls, rawUser(t, db, "u1")["_rev"])
}

func TestMongoRepositoryCreatesItsIndexes(t *testing.T) {
	db := mongotest.Database(t)
	newMongoRepository(t, db)
	want := map[string]bson.D{
		"_id_":       {{Key: "_id", Value: int32(1)}},
		"email":      {{Key: "email", Value: int32(1)}},
		"status":     {{Key: "status", Value: int32(1)}},
		"updated_at": {{Key: "updated_at", Value: int32(1)}},
	}
	assert.Equal(t, want, indexes(t, db))

	// A restarted service constructs the repository again on existing
	// indexes.
	newMongoRepository(t, db)
	assert.Equal(t, want, indexes(t, db))
}

// The stored document has the field names and BSON types docs/events.md
// promises readers.
func TestMongoUserDocumentShape(t *testing.T) {
	db := mongotest.Database(t)
	repo := newMongoRepository(t, db)
	store(t, repo, liveUser("live"))
	store(t, repo, deletedUser("deleted"))

	fieldVersions := func(v map[string]int64) bson.M {
		m := bson.M{}
		for k, n := range v {
			m[k] = n
		}
		return m
	}
	date := func(t time.Time) bson.DateTime { return bson.NewDateTimeFromTime(t) }

	live := liveUser("live")
	assert.Equal(t, bson.M{
		"_id": "live", "_rev": int64(1),
		"email": "ada@example.com", "username": "ada", "full_name": "Ada Lovelace", "city": "London",
		"status": "active", "created_at": date(t0), "updated_at": date(t0.Add(3 * time.Minute)), "deleted_at": nil,
		"version": int64(4), "field_versions": fieldVersions(live.Versions),
	}, rawUser(t, db, "live"), "no deletion_reason on a live user")

	deleted := deletedUser("deleted")
	assert.Equal(t, bson.M{
		"_id": "deleted", "_rev": int64(1),
		"email": "grace@example.com", "username": "grace", "full_name": "Grace Hopper", "city": "Arlington",
		"status": "deleted", "created_at": date(t0), "updated_at": date(t0.Add(time.Hour)),
		"deleted_at": date(t0.Add(time.Hour)), "deletion_reason": "requested by the user",
		"version": int64(7), "field_versions": fieldVersions(deleted.Versions),
	}, rawUser(t, db, "deleted"))

	// A user seen only through an update has no created_at yet: null, not
	// the zero time.
	require.NoError(t, repo.Update(t.Context(), "partial", func(u *user.User) (bool, error) {
		u.City, u.Status, u.Versions = "Paris", user.StatusActive, map[string]int64{"city": 2}
		u.Version, u.UpdatedAt = 2, t0
		return true, nil
	}))
	raw := rawUser(t, db, "partial")
	assert.Nil(t, raw["created_at"])
	assert.Contains(t, raw, "created_at")
}

func mergeVersions(v map[string]int64, field string, version int64) map[string]int64 {
	if v == nil {
		v = map[string]int64{}
	}
	v[field] = version
	return v
}

// rawUser reads the stored document, nested documents as bson.M.
func rawUser(t *testing.T, db *mongo.Database, id string) bson.M {
	t.Helper()
	raw, err := db.Collection(adapters.UsersCollection).FindOne(t.Context(), bson.D{{Key: "_id", Value: id}}).Raw()
	require.NoError(t, err)
	dec := bson.NewDecoder(bson.NewDocumentReader(bytes.NewReader(raw)))
	dec.DefaultDocumentM()
	var m bson.M
	require.NoError(t, dec.Decode(&m))
	return m
}

func indexes(t *testing.T, db *mongo.Database) map[string]bson.D {
	t.Helper()
	cur, err := db.Collection(adapters.UsersCollection).Indexes().List(t.Context())
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
