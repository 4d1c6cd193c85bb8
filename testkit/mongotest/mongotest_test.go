package mongotest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/testkit/mongotest"
)

var (
	client        *mongo.Client
	startDuration time.Duration
)

// TestMain shows the intended use: one server for the whole package.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	began := time.Now()
	srv, err := mongotest.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	startDuration = time.Since(began)
	defer func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()

	client, err = mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect to", srv.URI(), err)
		return 1
	}
	defer func() { _ = client.Disconnect(ctx) }()

	return m.Run()
}

func TestStartDuration(t *testing.T) {
	t.Logf("mongotest.Start took %v", startDuration)
}

// database returns a fresh database that is dropped after the test.
func database(t *testing.T) *mongo.Database {
	t.Helper()
	db := client.Database(mongotest.UniqueDatabaseName(t))
	t.Cleanup(func() {
		if err := db.Drop(context.Background()); err != nil {
			t.Errorf("drop database %s: %v", db.Name(), err)
		}
	})
	return db
}

func TestUpsertFindAndUniqueIndex(t *testing.T) {
	ctx := context.Background()
	users := database(t).Collection("users")

	for i := range 2 {
		res, err := users.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: "u1"}},
			bson.D{
				{Key: "$set", Value: bson.D{{Key: "email", Value: "a@example.com"}}},
				{Key: "$setOnInsert", Value: bson.D{{Key: "created", Value: i}}},
				{Key: "$inc", Value: bson.D{{Key: "logins", Value: 1}}},
			},
			options.UpdateOne().SetUpsert(true),
		)
		if err != nil {
			t.Fatalf("upsert %d: %v", i, err)
		}
		if wantUpserted := i == 0; (res.UpsertedID != nil) != wantUpserted {
			t.Errorf("upsert %d: UpsertedID = %v, want upserted = %v", i, res.UpsertedID, wantUpserted)
		}
	}

	var got struct {
		ID      string `bson:"_id"`
		Email   string `bson:"email"`
		Created int    `bson:"created"`
		Logins  int    `bson:"logins"`
	}
	if err := users.FindOne(ctx, bson.D{{Key: "_id", Value: "u1"}}).Decode(&got); err != nil {
		t.Fatalf("find u1: %v", err)
	}
	if got.Email != "a@example.com" || got.Created != 0 || got.Logins != 2 {
		t.Errorf("u1 = %+v, want email a@example.com, created 0 (set on insert only), logins 2", got)
	}

	if _, err := users.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "email", Value: 1}},
		Options: options.Index().SetUnique(true),
	}); err != nil {
		t.Fatalf("create unique index on email: %v", err)
	}
	_, err := users.InsertOne(ctx, bson.D{{Key: "_id", Value: "u2"}, {Key: "email", Value: "a@example.com"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("insert of a duplicate email: err = %v, want a duplicate key error", err)
	}
	_, err = users.InsertOne(ctx, bson.D{{Key: "_id", Value: "u1"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("insert of a duplicate _id: err = %v, want a duplicate key error", err)
	}

	if err := users.FindOne(ctx, bson.D{{Key: "_id", Value: "missing"}}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Errorf("find missing: err = %v, want mongo.ErrNoDocuments", err)
	}
}

func TestUniqueDatabaseName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,37}$`)
	ctx := context.Background()
	for _, name := range []string{
		"simple",
		"Mixed Case/and spaces-and.dots$",
		"pg_reserved",
		strings.Repeat("very_long_name", 10),
		"ünïcødé",
	} {
		t.Run(name, func(t *testing.T) {
			a, b := mongotest.UniqueDatabaseName(t), mongotest.UniqueDatabaseName(t)
			if a == b {
				t.Errorf("two calls returned the same name %q", a)
			}
			if !valid.MatchString(a) || strings.HasPrefix(a, "pg_") {
				t.Errorf("name %q is not lowercase [a-z0-9_], at most 38 long, without pg_ prefix", a)
			}
			// The server must accept it as a database name.
			if _, err := client.Database(a).Collection("c").InsertOne(ctx, bson.D{}); err != nil {
				t.Errorf("insert into database %q: %v", a, err)
			}
			if err := client.Database(a).Drop(ctx); err != nil {
				t.Errorf("drop database %q: %v", a, err)
			}
		})
	}
}

// TestIDLookupsUseAnIndex: finds and updates by `_id` must not scan the
// collection (MongoDB answers them from its `_id` index; FerretDB needs
// ferretdb_id_index.sql), or every write slows down as collections grow.
func TestIDLookupsUseAnIndex(t *testing.T) {
	ctx := context.Background()
	db := database(t)
	users := db.Collection("users")
	docs := make([]any, 2000)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("user-%04d", i)}, {Key: "_rev", Value: 1}}
	}
	if _, err := users.InsertMany(ctx, docs); err != nil {
		t.Fatalf("insert: %v", err)
	}

	for name, filter := range map[string]bson.D{
		"_id":      {{Key: "_id", Value: "user-1234"}},
		"_id+_rev": {{Key: "_id", Value: "user-1234"}, {Key: "_rev", Value: 1}},
	} {
		var plan bson.Raw
		err := db.RunCommand(ctx, bson.D{
			{Key: "explain", Value: bson.D{{Key: "find", Value: users.Name()}, {Key: "filter", Value: filter}}},
		}).Decode(&plan)
		if err != nil {
			t.Fatalf("explain find %s: %v", name, err)
		}
		text := plan.String()
		// FerretDB reports PostgreSQL's plan; MongoDB its own stages.
		scans := strings.Contains(text, "Seq Scan") || strings.Contains(text, "COLLSCAN")
		indexed := strings.Contains(text, "Index Scan") || strings.Contains(text, "IDHACK") ||
			strings.Contains(text, "EXPRESS") || strings.Contains(text, "IXSCAN")
		if scans || !indexed {
			t.Errorf("find by %s is not answered from an index: %s", name, text)
		}
	}
}
