package servicetest

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/shared/readmodel"
)

// Documents reads a collection raw, nested documents as bson.M, by _id,
// without the freshness stamps (readmodel.Meta's _committed_at and
// _projected_at): those record when a write happened, so they differ
// between two runs that project the same events. Stamps reads them.
func Documents(t *testing.T, db *mongo.Database, collection string) map[string]bson.M {
	t.Helper()
	return Without(Stamps(t, db, collection), readmodel.CommittedAtField, readmodel.ProjectedAtField)
}

// Stamps reads a collection raw, stamps included.
func Stamps(t *testing.T, db *mongo.Database, collection string) map[string]bson.M {
	t.Helper()
	coll := db.Collection(collection, options.Collection().SetBSONOptions(&options.BSONOptions{DefaultDocumentM: true}))
	cur, err := coll.Find(t.Context(), bson.D{})
	require.NoError(t, err)
	var docs []bson.M
	require.NoError(t, cur.All(t.Context(), &docs))
	out := make(map[string]bson.M, len(docs))
	for _, d := range docs {
		out[d["_id"].(string)] = d
	}
	return out
}

// Without returns copies of docs without fields, e.g. _rev, which counts
// writes and so depends on the order events arrived in.
func Without(docs map[string]bson.M, fields ...string) map[string]bson.M {
	out := make(map[string]bson.M, len(docs))
	for id, d := range docs {
		d = maps.Clone(d)
		for _, f := range fields {
			delete(d, f)
		}
		out[id] = d
	}
	return out
}
