package verify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/scripts/verify"
)

// history is a small outbox history crossing midnight UTC, with one event
// the projectors skip (schema version 2).
func history() []verify.Row {
	s := time.Second
	return []verify.Row{
		row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "Ada", "Paris")),
		row(user1, 2, typeUserUpdated, at(s), userPayload(user1, `,"full_name":"Ada L."`)),
		row(user2, 1, typeUserCreated, at(1500*time.Millisecond), userCreated(user2, "bob@example.com", "bob", "", "")),
		row(user2, 2, typeUserDeleted, at(3*s), userPayload(user2, `,"reason":"requested"`)),
		row(activity1, 1, typeActivityCreated, at(2*s), activityPayload(activity1,
			`,"creator_id":"`+user1+`","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00.5Z","max_participants":10`)),
		row(activity1, 2, typeParticipantJoined, at(4*s), participant(activity1, user1)),
		row(activity1, 3, typeParticipantJoined, at(5*s), participant(activity1, user2)),
		row(activity1, 4, typeParticipantLeft, at(6*s), participant(activity1, user2)),
		row(activity1, 5, typeActivityUpdated, at(7*s), activityPayload(activity1, `,"location":"Park"`)),
		withMetadata(row(user1, 3, typeUserUpdated, at(8*s), userPayload(user1, `,"city":"Oslo"`)), `{"schema_version":2}`),
	}
}

func writeProjectedDocuments(t *testing.T, db *mongo.Database) {
	t.Helper()
	require.NoError(t, insertProjectedDocuments(db))
}

// insertProjectedDocuments stores what the projectors store for history(),
// field names and BSON types as their adapters write them, bookkeeping
// included (services/*/internal/adapters, shared/readmodel).
func insertProjectedDocuments(db *mongo.Database) error {
	ctx := context.Background()
	s := time.Second
	now := time.Now().UTC().Truncate(time.Millisecond)
	var errs []error
	insert := func(collection string, docs ...bson.D) {
		for _, d := range docs {
			if _, err := db.Collection(collection).InsertOne(ctx, d); err != nil {
				errs = append(errs, fmt.Errorf("%s %v: %w", collection, d[0].Value, err))
			}
		}
	}
	stamp := func(committed time.Time) bson.D {
		return bson.D{{Key: "_committed_at", Value: committed}, {Key: "_projected_at", Value: now}}
	}
	insert("users",
		append(bson.D{{Key: "_id", Value: user1}, {Key: "_rev", Value: int64(2)}}, append(stamp(ms(at(s))),
			bson.E{Key: "email", Value: "ada@example.com"}, bson.E{Key: "username", Value: "ada"},
			bson.E{Key: "full_name", Value: "Ada L."}, bson.E{Key: "city", Value: "Paris"},
			bson.E{Key: "status", Value: "active"}, bson.E{Key: "created_at", Value: ms(at(0))},
			bson.E{Key: "updated_at", Value: ms(at(s))}, bson.E{Key: "deleted_at", Value: nil},
			bson.E{Key: "version", Value: int64(2)},
			bson.E{Key: "field_versions", Value: bson.D{
				{Key: "email", Value: int64(1)}, {Key: "username", Value: int64(1)}, {Key: "full_name", Value: int64(2)},
				{Key: "city", Value: int64(1)}, {Key: "created_at", Value: int64(1)}, {Key: "status", Value: int64(1)},
			}})...),
		append(bson.D{{Key: "_id", Value: user2}, {Key: "_rev", Value: int64(2)}}, append(stamp(ms(at(3*s))),
			bson.E{Key: "email", Value: ""}, bson.E{Key: "username", Value: ""},
			bson.E{Key: "full_name", Value: ""}, bson.E{Key: "city", Value: ""},
			bson.E{Key: "status", Value: "deleted"}, bson.E{Key: "created_at", Value: ms(at(1500 * time.Millisecond))},
			bson.E{Key: "updated_at", Value: ms(at(3 * s))}, bson.E{Key: "deleted_at", Value: ms(at(3 * s))},
			bson.E{Key: "deletion_reason", Value: "requested"}, bson.E{Key: "version", Value: int64(2)},
			bson.E{Key: "field_versions", Value: bson.D{
				{Key: "email", Value: int64(2)}, {Key: "username", Value: int64(2)}, {Key: "full_name", Value: int64(2)},
				{Key: "city", Value: int64(2)}, {Key: "created_at", Value: int64(1)}, {Key: "status", Value: int64(2)},
			}})...),
	)
	insert("activities", append(bson.D{{Key: "_id", Value: activity1}, {Key: "_rev", Value: int64(5)}}, append(stamp(ms(at(7*s))),
		bson.E{Key: "creator_id", Value: user1}, bson.E{Key: "title", Value: "Run"},
		bson.E{Key: "description", Value: ""}, bson.E{Key: "category", Value: "sport"},
		bson.E{Key: "location", Value: "Park"},
		bson.E{Key: "starts_at", Value: time.Date(2026, 3, 10, 18, 0, 0, 500000000, time.UTC)},
		bson.E{Key: "max_participants", Value: int32(10)}, bson.E{Key: "status", Value: "scheduled"},
		bson.E{Key: "cancelled_at", Value: nil}, bson.E{Key: "created_at", Value: ms(at(2 * s))},
		bson.E{Key: "updated_at", Value: ms(at(7 * s))},
		bson.E{Key: "participants", Value: bson.A{
			bson.D{{Key: "user_id", Value: user1}, {Key: "joined_at", Value: ms(at(4 * s))}},
		}},
		bson.E{Key: "participant_count", Value: int32(1)},
		bson.E{Key: "members", Value: bson.A{
			bson.D{{Key: "user_id", Value: user1}, {Key: "joined", Value: true}, {Key: "at", Value: ms(at(4 * s))}, {Key: "version", Value: int64(2)}},
			bson.D{{Key: "user_id", Value: user2}, {Key: "joined", Value: false}, {Key: "at", Value: ms(at(6 * s))}, {Key: "version", Value: int64(4)}},
		}},
		bson.E{Key: "version", Value: int64(5)},
		bson.E{Key: "field_versions", Value: bson.D{
			{Key: "creator_id", Value: int64(1)}, {Key: "title", Value: int64(1)}, {Key: "description", Value: int64(1)},
			{Key: "category", Value: int64(1)}, {Key: "location", Value: int64(5)}, {Key: "starts_at", Value: int64(1)},
			{Key: "max_participants", Value: int64(1)}, {Key: "created_at", Value: int64(1)}, {Key: "status", Value: int64(1)},
		}})...))
	userStatistics := func(id string, seq, created, joined, left int64, last time.Time) bson.D {
		return bson.D{
			{Key: "_id", Value: id}, {Key: "_rev", Value: seq}, {Key: "_sources", Value: bson.D{{Key: "3", Value: seq}}}, {Key: "user_id", Value: id},
			{Key: "activities_created", Value: created}, {Key: "activities_joined", Value: joined},
			{Key: "activities_left", Value: left}, {Key: "last_activity_at", Value: last},
		}
	}
	insert("user_statistics",
		userStatistics(user1, 4, 1, 1, 0, ms(at(4*s))),
		userStatistics(user2, 4, 0, 1, 1, ms(at(6*s))),
	)
	daily := func(day, eventType string, count int64) bson.D {
		return bson.D{
			{Key: "_id", Value: day + "/" + eventType}, {Key: "_rev", Value: count}, {Key: "_sources", Value: bson.D{{Key: "0", Value: count}}},
			{Key: "day", Value: day}, {Key: "event_type", Value: eventType}, {Key: "count", Value: count},
		}
	}
	insert("daily_statistics",
		daily("2026-03-01", typeUserCreated, 2),
		daily("2026-03-01", typeUserUpdated, 1),
		daily("2026-03-02", typeUserDeleted, 1),
		daily("2026-03-02", typeActivityCreated, 1),
		daily("2026-03-02", typeParticipantJoined, 2),
		daily("2026-03-02", typeParticipantLeft, 1),
		daily("2026-03-02", typeActivityUpdated, 1),
	)
	return errors.Join(errs...)
}

func config(t *testing.T, outbox *outboxDB, db *mongo.Database) verify.Config {
	return verify.Config{PostgresURL: outbox.url, MongoURI: mongotest.URI(t), Database: db.Name()}
}

func TestRunMatchesWhatTheProjectorsStore(t *testing.T) {
	outbox := newOutbox(t)
	outbox.insert(t, history()...)
	db := mongotest.Database(t)
	writeProjectedDocuments(t, db)

	var out strings.Builder
	diff, stats, err := verify.Run(context.Background(), config(t, outbox, db), &out)
	require.NoError(t, err)
	assert.True(t, diff.OK(), out.String())
	assert.Equal(t, 10, stats.EventsRead)
	assert.Equal(t, 9, stats.EventsApplied)
	assert.Equal(t, map[verify.SkipReason]int{verify.SkipUnsupportedSchemaVersion: 1}, stats.Skipped)
	assert.Equal(t, map[string]int{"users": 2, "activities": 1, "user_statistics": 2, "daily_statistics": 7}, stats.Compared)
	assert.Equal(t, 1, stats.Attempts)
	assert.Equal(t, ""+
		"outbox: 10 events read, 9 applied, 1 skipped (unsupported schema_version: 1)\n"+
		"users: 2 expected, 2 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n"+
		"activities: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n"+
		"user_statistics: 2 expected, 2 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n"+
		"daily_statistics: 7 expected, 7 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n",
		out.String())

	// Expected and Actual agree on their own, too.
	want, err := verify.Expected(context.Background(), outbox.conn)
	require.NoError(t, err)
	got, err := verify.Actual(context.Background(), db)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// One corrupted document in MongoDB: Run reports exactly that difference.
func TestRunReportsTheCorruptedField(t *testing.T) {
	outbox := newOutbox(t)
	outbox.insert(t, history()...)
	ctx := context.Background()

	tests := []struct {
		name       string
		collection string
		corrupt    func(c *mongo.Collection) error
		want       string
	}{
		{
			"a user's city", "users",
			func(c *mongo.Collection) error {
				_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: user1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "city", Value: "Lyon"}}}})
				return err
			},
			"users/" + user1 + `: city: want "Paris" got "Lyon"`,
		},
		{
			"a participant who left is still listed", "activities",
			func(c *mongo.Collection) error {
				_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: activity1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "participants", Value: bson.A{
					bson.D{{Key: "user_id", Value: user1}, {Key: "joined_at", Value: ms(at(4 * time.Second))}},
					bson.D{{Key: "user_id", Value: user2}, {Key: "joined_at", Value: ms(at(5 * time.Second))}},
				}}}}})
				return err
			},
			"activities/" + activity1 + ": participants[" + user2 + "]: want absent got 2026-03-02T00:00:03.123Z",
		},
		{
			"a daily count", "daily_statistics",
			func(c *mongo.Collection) error {
				_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: "2026-03-02/ParticipantJoined"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "count", Value: int64(1)}}}})
				return err
			},
			`daily_statistics/2026-03-02/ParticipantJoined: count: want 2 got 3`,
		},
		{
			"a last activity time", "user_statistics",
			func(c *mongo.Collection) error {
				_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: user2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "last_activity_at", Value: ms(at(8 * time.Second))}}}})
				return err
			},
			"user_statistics/" + user2 + ": last_activity_at: want 2026-03-02T00:00:04.123Z got 2026-03-02T00:00:06.123Z",
		},
		{
			"a deleted user document", "users",
			func(c *mongo.Collection) error {
				_, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: user2}})
				return err
			},
			"users/" + user2 + ": missing from MongoDB",
		},
		{
			"a document the outbox does not explain", "daily_statistics",
			func(c *mongo.Collection) error {
				_, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: "2026-03-02/UserUpdated"}, {Key: "day", Value: "2026-03-02"},
					{Key: "event_type", Value: "UserUpdated"}, {Key: "count", Value: int64(1)}})
				return err
			},
			"daily_statistics/2026-03-02/UserUpdated: in MongoDB, not explained by the outbox",
		},
		{
			"a field of the wrong type", "daily_statistics",
			func(c *mongo.Collection) error {
				_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: "2026-03-01/UserCreated"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "count", Value: "two"}}}})
				return err
			},
			"daily_statistics/2026-03-01/UserCreated: (document): want a readable document got ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mongotest.Database(t)
			writeProjectedDocuments(t, db)
			require.NoError(t, tt.corrupt(db.Collection(tt.collection)))

			var out strings.Builder
			diff, _, err := verify.Run(ctx, config(t, outbox, db), &out)
			require.NoError(t, err)
			require.False(t, diff.OK())
			var examples []string
			for _, c := range diff.Collections() {
				if c.Collection != tt.collection {
					assert.True(t, c.OK(), "%s is untouched", c.Collection)
				}
			}
			for _, line := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(line, "  ") {
					examples = append(examples, strings.TrimPrefix(line, "  "))
				}
			}
			require.Len(t, examples, 1, out.String())
			assert.True(t, strings.HasPrefix(examples[0], tt.want), "got %q\nwant %q", examples[0], tt.want)
		})
	}
}

// With Wait, Run keeps comparing until the read models catch up.
func TestRunWaitsForTheProjectors(t *testing.T) {
	outbox := newOutbox(t)
	outbox.insert(t, history()...)
	db := mongotest.Database(t)

	// The projectors catch up while Run is already comparing.
	caughtUp := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		caughtUp <- insertProjectedDocuments(db)
	}()
	cfg := config(t, outbox, db)
	cfg.Wait, cfg.PollInterval = time.Minute, 50*time.Millisecond
	diff, stats, err := verify.Run(context.Background(), cfg, nil)
	require.NoError(t, <-caughtUp)
	require.NoError(t, err)
	assert.True(t, diff.OK())
	assert.GreaterOrEqual(t, stats.Attempts, 1)
}

// When the read models never match, Run gives up after Wait with the last
// comparison.
func TestRunGivesUpAfterWait(t *testing.T) {
	outbox := newOutbox(t)
	outbox.insert(t, history()...)
	db := mongotest.Database(t)

	cfg := config(t, outbox, db)
	cfg.Wait, cfg.PollInterval = 200*time.Millisecond, 20*time.Millisecond
	var out strings.Builder
	diff, stats, err := verify.Run(context.Background(), cfg, &out)
	require.NoError(t, err)
	assert.False(t, diff.OK())
	assert.Len(t, diff.Users.Missing, 2)
	assert.Greater(t, stats.Attempts, 1)
	assert.Contains(t, out.String(), "users: 2 expected, 0 in MongoDB, 2 missing")
}

func TestRunErrors(t *testing.T) {
	ctx := context.Background()
	_, _, err := verify.Run(ctx, verify.Config{}, nil)
	require.ErrorIs(t, err, verify.ErrInvalidConfig)
	assert.ErrorContains(t, err, "PostgresURL is empty")
	assert.ErrorContains(t, err, "MongoURI is empty")

	_, _, err = verify.Run(ctx, verify.Config{PostgresURL: "postgres://x", MongoURI: "http://nope"}, nil)
	require.ErrorIs(t, err, verify.ErrInvalidConfig)
	assert.ErrorContains(t, err, "MongoURI")

	// Nothing listens on port 1: a read error, not a config error.
	_, _, err = verify.Run(ctx, verify.Config{
		PostgresURL: "postgres://postgres@127.0.0.1:1/activity?sslmode=disable&connect_timeout=5",
		MongoURI:    mongotest.URI(t),
	}, nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, verify.ErrInvalidConfig)
	assert.ErrorContains(t, err, "PostgreSQL")
}
