package readmodel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// PointersCollection holds one small document per read model that has
// been rebuilt, {_id: <read model>, collection: <the collection serving
// it>}: readers resolve a read model's name through it (Resolve), so a
// rebuild can fill new collections while the old ones serve, and switch
// every reader at once by updating one document. A read model without a
// pointer is served by the collection of its own name.
const PointersCollection = "read_model_pointers"

// pointer is a document of PointersCollection.
type pointer struct {
	ReadModel  string    `bson:"_id"`
	Collection string    `bson:"collection"`
	SwitchedAt time.Time `bson:"switched_at"`
}

// Resolve is the name of the collection serving readModel: its pointer's,
// or readModel itself when it has none.
func Resolve(ctx context.Context, db *mongo.Database, readModel string) (string, error) {
	var p pointer
	err := db.Collection(PointersCollection).FindOne(ctx, bson.D{{Key: "_id", Value: readModel}}).Decode(&p)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return readModel, nil
	case err != nil:
		return "", fmt.Errorf("readmodel: resolve %s: %w", readModel, err)
	case p.Collection == "":
		return readModel, nil
	}
	return p.Collection, nil
}

// Switch points readModel at collection and returns the collection that
// served it before. Readers that resolve after it see the new collection.
func Switch(ctx context.Context, db *mongo.Database, readModel, collection string) (previous string, err error) {
	if previous, err = Resolve(ctx, db, readModel); err != nil {
		return "", err
	}
	_, err = db.Collection(PointersCollection).ReplaceOne(ctx, bson.D{{Key: "_id", Value: readModel}},
		pointer{ReadModel: readModel, Collection: collection, SwitchedAt: time.Now().UTC()}, options.Replace().SetUpsert(true))
	if err != nil {
		return "", fmt.Errorf("readmodel: switch %s to %s: %w", readModel, collection, err)
	}
	return previous, nil
}

// Namer gives a projector the collection it writes each read model to:
// the one serving it (Resolve), or during a rebuild the read model's name
// plus the rebuild's suffix.
type Namer struct {
	// RebuildSuffix is the rebuild's suffix; empty outside a rebuild.
	RebuildSuffix string
}

// Collection is the collection to write readModel to.
func (n Namer) Collection(ctx context.Context, db *mongo.Database, readModel string) (*mongo.Collection, error) {
	if n.RebuildSuffix != "" {
		return db.Collection(readModel + n.RebuildSuffix), nil
	}
	name, err := Resolve(ctx, db, readModel)
	if err != nil {
		return nil, err
	}
	return db.Collection(name), nil
}
