package readmodeltest

import (
	"bytes"
	"context"
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

// NewMongo constructs a repository with newRepo (a service's constructor,
// which creates the collection's indexes) on db, failing t on an error.
func NewMongo[R any](t testing.TB, db *mongo.Database, newRepo func(context.Context, *mongo.Database) (R, error)) R {
	t.Helper()
	repo, err := newRepo(t.Context(), db)
	require.NoError(t, err)
	return repo
}

// Mongo is a Contract.New for the MongoDB repositories newRepo constructs,
// each on a new database of the server mongotest.Main started.
func Mongo[D any, R Repository[D]](newRepo func(context.Context, *mongo.Database) (R, error)) func(*testing.T) Repository[D] {
	return func(t *testing.T) Repository[D] { return NewMongo(t, mongotest.Database(t), newRepo) }
}

// Memory is a Contract.New for the in-memory repositories newRepo returns.
func Memory[D any, R Repository[D]](newRepo func() R) func(*testing.T) Repository[D] {
	return func(*testing.T) Repository[D] { return newRepo() }
}

// CheckIndexes checks that newRepo creates exactly the indexes want on
// collection, besides the one on _id_, and that constructing the
// repository again on them works and keeps them, as a restarted service
// does.
func CheckIndexes[R any](t *testing.T, newRepo func(context.Context, *mongo.Database) (R, error), collection string, want map[string]bson.D) {
	t.Helper()
	want = maps.Clone(want)
	want["_id_"] = bson.D{{Key: "_id", Value: int32(1)}}
	db := mongotest.Database(t)
	for _, construction := range []string{"first", "again"} {
		NewMongo(t, db, newRepo)
		assert.Equal(t, want, IndexKeys(t, db.Collection(collection)), "indexes after the %s construction", construction)
	}
}

// Stored constructs a repository with newRepo on a new database, stores
// values (by id) through it and returns the documents collection then
// holds for them, as RawDocument reads them but without the freshness
// stamps, by id.
func Stored[D any, R Repository[D]](t *testing.T, newRepo func(context.Context, *mongo.Database) (R, error), collection string, values map[string]D) map[string]bson.M {
	t.Helper()
	db := mongotest.Database(t)
	repo := NewMongo(t, db, newRepo)
	docs := make(map[string]bson.M, len(values))
	for id, v := range values {
		Store[D](t, repo, id, v)
		doc := RawDocument(t, db.Collection(collection), id)
		// Every write is stamped; the stamp's value is a time of day, so
		// it is checked here and left out of what callers compare.
		require.IsType(t, bson.DateTime(0), doc[readmodel.ProjectedAtField], "%s/%s: written without %s", collection, id, readmodel.ProjectedAtField)
		delete(doc, readmodel.ProjectedAtField)
		delete(doc, readmodel.CommittedAtField)
		docs[id] = doc
	}
	return docs
}

// RawDocument reads the stored document id of coll as it is, nested
// documents as bson.M.
func RawDocument(t testing.TB, coll *mongo.Collection, id string) bson.M {
	t.Helper()
	raw, err := coll.FindOne(t.Context(), bson.D{{Key: "_id", Value: id}}).Raw()
	require.NoError(t, err)
	dec := bson.NewDecoder(bson.NewDocumentReader(bytes.NewReader(raw)))
	dec.DefaultDocumentM()
	var m bson.M
	require.NoError(t, dec.Decode(&m))
	return m
}

// Document is m as RawDocument returns a nested document stored from it.
func Document[V any](m map[string]V) bson.M {
	out := make(bson.M, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// IndexKeys lists the indexes of coll: their keys by name.
func IndexKeys(t testing.TB, coll *mongo.Collection) map[string]bson.D {
	t.Helper()
	cur, err := coll.Indexes().List(t.Context())
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
