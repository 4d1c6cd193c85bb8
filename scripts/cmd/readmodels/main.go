// Command readmodels prints what the read models hold: document counts per
// collection, or one document.
//
//	readmodels                            # counts
//	readmodels -collection users -id <id> # one document as JSON
//	readmodels -collection users -wait 1000 -timeout 30s  # wait for a count
//	readmodels -collection users -group _rev               # documents by field value
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/scripts/internal/cli"
	"github.com/activityapp/event-processor/shared/readmodel"
)

var collections = []string{"users", "activities", "user_statistics", "daily_statistics"}

func main() {
	uri := flag.String("uri", cli.Env(os.Getenv, cli.MongoURIEnv, cli.MongoURI), "MongoDB URI (default from $MONGODB_URI)")
	database := flag.String("db", "activity_read_models", "database")
	collection := flag.String("collection", "", "collection (with -id or -wait)")
	id := flag.String("id", "", "print the document with this _id")
	wait := flag.Int64("wait", -1, "wait until the collection holds this many documents")
	group := flag.String("group", "", "count the collection's documents by this field")
	timeout := flag.Duration("timeout", 30*time.Second, "how long to wait")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout+5*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(*uri).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		fail(err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	db := client.Database(*database)
	// A rebuilt read model lives in the collection its pointer names.
	coll := func(readModel string) *mongo.Collection {
		name, err := readmodel.Resolve(ctx, db, readModel)
		if err != nil {
			fail(err)
		}
		return db.Collection(name)
	}

	switch {
	case *id != "":
		var doc bson.M
		if err := coll(*collection).FindOne(ctx, bson.D{{Key: "_id", Value: *id}}).Decode(&doc); err != nil {
			fail(err)
		}
		out, _ := json.MarshalIndent(doc, "", "  ")
		fmt.Println(string(out))
	case *group != "":
		cur, err := coll(*collection).Aggregate(ctx, mongo.Pipeline{
			{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$" + *group}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
		})
		if err != nil {
			fail(err)
		}
		var rows []bson.M
		if err := cur.All(ctx, &rows); err != nil {
			fail(err)
		}
		for _, r := range rows {
			fmt.Printf("%s=%v: %v\n", *group, r["_id"], r["n"])
		}
	case *wait >= 0:
		began := time.Now()
		for {
			n, err := coll(*collection).CountDocuments(ctx, bson.D{})
			if err == nil && n == *wait {
				fmt.Printf("%s: %d documents after %v\n", *collection, n, time.Since(began).Round(time.Millisecond))
				return
			}
			if time.Since(began) > *timeout {
				if err != nil {
					fail(fmt.Errorf("%s: counting: %w", *collection, err))
				}
				fail(fmt.Errorf("%s: %d documents after %v, want %d", *collection, n, *timeout, *wait))
			}
			time.Sleep(20 * time.Millisecond)
		}
	default:
		for _, c := range collections {
			n, err := coll(c).CountDocuments(ctx, bson.D{})
			if err != nil {
				fail(err)
			}
			fmt.Printf("%-18s %d\n", c, n)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "readmodels:", err)
	os.Exit(1)
}
