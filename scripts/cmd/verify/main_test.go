package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/testkit/kafkatest"
	"github.com/activityapp/event-processor/testkit/mongotest"
	"github.com/activityapp/event-processor/testkit/pgtest"
)

func TestMain(m *testing.M) { os.Exit(mongotest.Main(m)) }

const userID = "10000000-0000-4000-8000-000000000001"

// The exit status tells equal (0), mismatch (1), usage (2) and unreadable
// servers (3) apart.
func TestExitStatus(t *testing.T) {
	ctx := context.Background()
	srv, err := pgtest.Start(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	require.NoError(t, srv.CreateDatabase(ctx, "activity"))
	require.NoError(t, srv.ApplyFiles(ctx, "activity", "../../../deployments/postgres"))
	conn, err := pgx.Connect(ctx, srv.URL("activity"))
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	createdAt := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_, err = conn.Exec(ctx, `INSERT INTO activity.event_outbox
		(event_id, aggregate_id, aggregate_type, aggregate_version, event_type, payload, created_at)
		VALUES (gen_random_uuid(), $1, 'user', 1, 'UserCreated', $2, $3)`,
		userID, `{"user_id":"`+userID+`","email":"ada@example.com","username":"ada"}`, createdAt)
	require.NoError(t, err)

	db := mongotest.Database(t)
	args := []string{"-postgres", srv.URL("activity"), "-mongodb", mongotest.URI(t), "-db", db.Name()}
	verify := func(extra ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(ctx, append(args, extra...), func(string) string { return "" }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	code, stdout, _ := verify()
	assert.Equal(t, exitMismatch, code)
	assert.Contains(t, stdout, "users/"+userID+": missing from MongoDB")
	assert.Contains(t, stdout, "MISMATCH")

	code, stdout, _ = verify("-max", "0")
	assert.Equal(t, exitMismatch, code)
	assert.NotContains(t, stdout, "missing from MongoDB", "-max 0 shows no examples")

	at := createdAt
	for collection, doc := range map[string]bson.D{
		"users": {{Key: "_id", Value: userID}, {Key: "email", Value: "ada@example.com"}, {Key: "username", Value: "ada"},
			{Key: "full_name", Value: ""}, {Key: "city", Value: ""}, {Key: "status", Value: "active"},
			{Key: "created_at", Value: at}, {Key: "updated_at", Value: at}, {Key: "deleted_at", Value: nil},
			{Key: "version", Value: int64(1)}},
		"user_statistics": {{Key: "_id", Value: userID}, {Key: "user_id", Value: userID},
			{Key: "activities_created", Value: int64(0)}, {Key: "activities_joined", Value: int64(0)},
			{Key: "activities_left", Value: int64(0)}, {Key: "last_activity_at", Value: at}},
		"daily_statistics": {{Key: "_id", Value: "2026-03-01/UserCreated"}, {Key: "day", Value: "2026-03-01"},
			{Key: "event_type", Value: "UserCreated"}, {Key: "count", Value: int64(1)}},
	} {
		_, err := db.Collection(collection).InsertOne(ctx, doc)
		require.NoError(t, err)
	}
	code, stdout, stderr := verify()
	assert.Equal(t, exitEqual, code, stdout+stderr)
	assert.Contains(t, stdout, "OK: the read models match the outbox")

	// KAFKA_BROKERS (or -brokers) adds the poison topics' counts.
	kafka := kafkatest.Start(t, 1)
	var withKafka, stderrKafka bytes.Buffer
	code = run(ctx, args, func(name string) string {
		if name == "KAFKA_BROKERS" {
			return strings.Join(kafka.Brokers(), ",")
		}
		return ""
	}, &withKafka, &stderrKafka)
	assert.Equal(t, exitEqual, code, withKafka.String()+stderrKafka.String())
	assert.Contains(t, withKafka.String(), "poison: user-projector 0 poisoned, 0 invalid in the outbox\n")
	code, stdout, _ = verify("-brokers", " "+kafka.Brokers()[0]+" ,")
	assert.Equal(t, exitEqual, code)
	assert.Contains(t, stdout, "poison: statistics-projector 0 poisoned, 0 invalid in the outbox\n")

	code, _, stderr = verify("-unknown-flag")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "flag provided but not defined")

	code, _, stderr = verify("-mongodb", "http://not-mongodb")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "invalid config")

	code, _, stderr = verify("-postgres", "postgres://postgres@127.0.0.1:1/activity?sslmode=disable&connect_timeout=5")
	assert.Equal(t, exitUnreadable, code)
	assert.Contains(t, stderr, "verify: cannot read")
}
