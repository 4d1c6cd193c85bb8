package readmodel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/shared/router"
)

// BlocksCollection is the read model that holds service's blocked
// sequences (router.Block): part of the projection's state, so a rebuild
// fills its own and switches it with the others.
func BlocksCollection(service string) string {
	return "blocked_sequences_" + strings.ReplaceAll(service, "-", "_")
}

// Blocks is a router.BlockStore in MongoDB: one document per blocked
// sequence, {_id: "<handler> <key>", handler, key, topic, partition,
// parked, since}.
type Blocks struct {
	db        *mongo.Database
	namer     Namer
	readModel string
}

var _ router.BlockStore = (*Blocks)(nil)

// NewBlocks keeps service's blocks in db, in the collection namer gives
// BlocksCollection(service).
func NewBlocks(db *mongo.Database, namer Namer, service string) *Blocks {
	return &Blocks{db: db, namer: namer, readModel: BlocksCollection(service)}
}

type blockDoc struct {
	ID        string    `bson:"_id"`
	Handler   string    `bson:"handler"`
	Key       string    `bson:"key"`
	Topic     string    `bson:"topic"`
	Partition int32     `bson:"partition"`
	Parked    []string  `bson:"parked"`
	Since     time.Time `bson:"since"`
}

func blockID(handler, key string) string { return handler + " " + key }

// Blocks are the blocks of handler on topic's partition.
func (s *Blocks) Blocks(ctx context.Context, handler, topic string, partition int32) ([]router.Block, error) {
	return s.find(ctx, bson.D{{Key: "handler", Value: handler}, {Key: "topic", Value: topic}, {Key: "partition", Value: partition}})
}

func (s *Blocks) find(ctx context.Context, filter bson.D) ([]router.Block, error) {
	coll, err := s.namer.Collection(ctx, s.db, s.readModel)
	if err != nil {
		return nil, classify(err)
	}
	cur, err := coll.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, classify(fmt.Errorf("readmodel: blocks %v: %w", filter, err))
	}
	var docs []blockDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, classify(fmt.Errorf("readmodel: blocks %v: %w", filter, err))
	}
	out := make([]router.Block, len(docs))
	for i, d := range docs {
		out[i] = router.Block{Handler: d.Handler, Key: d.Key, Topic: d.Topic, Partition: d.Partition, Parked: d.Parked, Since: d.Since}
	}
	return out, nil
}

// All are every block of the service, by handler and key.
func (s *Blocks) All(ctx context.Context) ([]router.Block, error) {
	return s.find(ctx, bson.D{})
}

// Save writes b whole.
func (s *Blocks) Save(ctx context.Context, b router.Block) error {
	coll, err := s.namer.Collection(ctx, s.db, s.readModel)
	if err != nil {
		return classify(err)
	}
	id := blockID(b.Handler, b.Key)
	doc := blockDoc{ID: id, Handler: b.Handler, Key: b.Key, Topic: b.Topic, Partition: b.Partition, Parked: b.Parked, Since: b.Since}
	if _, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, doc, options.Replace().SetUpsert(true)); err != nil {
		return classify(fmt.Errorf("readmodel: save block %s: %w", id, err))
	}
	return nil
}

// Release deletes the block of handler and key.
func (s *Blocks) Release(ctx context.Context, handler, key string) error {
	coll, err := s.namer.Collection(ctx, s.db, s.readModel)
	if err != nil {
		return classify(err)
	}
	id := blockID(handler, key)
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return classify(fmt.Errorf("readmodel: release block %s: %w", id, err))
	}
	return nil
}
