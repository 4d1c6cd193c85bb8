// Package readmodel stores read-model documents in MongoDB with optimistic
// concurrency.
package readmodel

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Meta is embedded (bson ",inline") in every document a Store writes.
type Meta struct {
	ID string `bson:"_id"`
	// Rev counts the writes of the document. Every write is guarded by the
	// revision it read, so two writers can never both apply a change on
	// top of the same state (on MongoDB; the FerretDB stand-in applies
	// concurrent updates without a lock, which is why each document also
	// has a single writer: its Kafka partition).
	Rev int64 `bson:"_rev"`
}

// DocumentMeta returns the embedded Meta; it makes *M satisfy Document.
func (m *Meta) DocumentMeta() *Meta { return m }

// Document is a pointer to a model that embeds Meta.
type Document[M any] interface {
	*M
	DocumentMeta() *Meta
}

// ErrConflict means another writer changed the document between read and
// write more often than Update retries; the caller's message is retried.
var ErrConflict = errors.New("readmodel: concurrent update conflict")

// Store reads and writes one collection of M.
type Store[M any, PM Document[M]] struct {
	coll *mongo.Collection
}

// NewStore returns a store over coll.
func NewStore[M any, PM Document[M]](coll *mongo.Collection) *Store[M, PM] {
	return &Store[M, PM]{coll: coll}
}

// Collection is the underlying collection.
func (s *Store[M, PM]) Collection() *mongo.Collection { return s.coll }

// Get returns the document with id, or found=false.
func (s *Store[M, PM]) Get(ctx context.Context, id string) (doc M, found bool, err error) {
	err = s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return doc, false, nil
	}
	if err != nil {
		return doc, false, fmt.Errorf("readmodel: get %s/%s: %w", s.coll.Name(), id, err)
	}
	return doc, true, nil
}

// Update reads document id (a zero M with its ID set when absent), lets
// change modify it, and writes it back if change reports a modification.
// The write is an insert for a new document and otherwise a replace guarded
// by the revision read; on a conflict it starts again.
func (s *Store[M, PM]) Update(ctx context.Context, id string, change func(doc PM) (changed bool, err error)) error {
	const attempts = 5
	for range attempts {
		doc, found, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		p := PM(&doc)
		p.DocumentMeta().ID = id
		changed, err := change(p)
		if err != nil || !changed {
			return err
		}
		rev := p.DocumentMeta().Rev
		p.DocumentMeta().Rev = rev + 1
		if !found {
			_, err = s.coll.InsertOne(ctx, p)
			if mongo.IsDuplicateKeyError(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("readmodel: insert %s/%s: %w", s.coll.Name(), id, err)
			}
			return nil
		}
		res, err := s.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "_rev", Value: rev}}, p)
		if err != nil {
			return fmt.Errorf("readmodel: replace %s/%s: %w", s.coll.Name(), id, err)
		}
		if res.MatchedCount == 1 {
			return nil
		}
	}
	return fmt.Errorf("%w: %s/%s", ErrConflict, s.coll.Name(), id)
}
