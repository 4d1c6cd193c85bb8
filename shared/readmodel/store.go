// Package readmodel stores read-model documents in MongoDB with optimistic
// concurrency.
package readmodel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/outbox"
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
	// CommittedAt and ProjectedAt say how fresh the document is: when the
	// transaction of the event that last changed it committed in
	// PostgreSQL, and when the projector wrote it. Their difference is the
	// commit-to-read-model latency (the demo report reads it). Only
	// observability: no projection decision depends on them, and an event
	// that changes nothing writes nothing, so a replay leaves them alone.
	CommittedAt time.Time `bson:"_committed_at,omitempty"`
	ProjectedAt time.Time `bson:"_projected_at,omitempty"`
}

// Stamp fields, as documents show them.
const (
	CommittedAtField = "_committed_at"
	ProjectedAtField = "_projected_at"
)

// stamp records on m the commit time of the event on ctx (none when the
// write has no event, e.g. a tool) and now as the write time.
func (m *Meta) stamp(ctx context.Context, now time.Time) {
	m.CommittedAt = time.Time{}
	if ev, err := outbox.FromContext(ctx); err == nil {
		m.CommittedAt = ev.CommitTime()
	}
	m.ProjectedAt = now.UTC()
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
//
// It keeps the documents it wrote (up to DefaultCacheSize, least recently
// used out) and starts the next change of one from that copy instead of
// reading it again: a write is then one round trip, not two. That is safe
// because every write is guarded by the revision it started from: if
// anyone else wrote the document since (another instance after a
// rebalance), the guard fails, the copy is dropped, and Update reads the
// document again. The read models are owned by their projectors; a tool
// that edits a document without moving _rev is not seen.
type Store[M any, PM Document[M]] struct {
	coll  *mongo.Collection
	cache *docCache[M]
}

// NewStore returns a store over coll.
func NewStore[M any, PM Document[M]](coll *mongo.Collection) *Store[M, PM] {
	return &Store[M, PM]{coll: coll, cache: newDocCache[M](DefaultCacheSize)}
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
// by the revision read; on a conflict it reads the document again and
// starts over.
func (s *Store[M, PM]) Update(ctx context.Context, id string, change func(doc PM) (changed bool, err error)) error {
	const attempts = 5
	for attempt := range attempts {
		doc, found, err := s.load(ctx, id, attempt == 0)
		if err != nil {
			return err
		}
		p := PM(&doc)
		p.DocumentMeta().ID = id
		changed, err := change(p)
		if err != nil {
			return err // the copy may be half changed: read it next time
		}
		if !changed {
			if found {
				s.cache.put(id, doc)
			}
			return nil
		}
		rev := p.DocumentMeta().Rev
		p.DocumentMeta().Rev = rev + 1
		p.DocumentMeta().stamp(ctx, time.Now())
		if !found {
			_, err = s.coll.InsertOne(ctx, p)
			if mongo.IsDuplicateKeyError(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("readmodel: insert %s/%s: %w", s.coll.Name(), id, err)
			}
			s.cache.put(id, doc)
			return nil
		}
		res, err := s.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "_rev", Value: rev}}, p)
		if err != nil {
			return fmt.Errorf("readmodel: replace %s/%s: %w", s.coll.Name(), id, err)
		}
		if res.MatchedCount == 1 {
			s.cache.put(id, doc)
			return nil
		}
	}
	return fmt.Errorf("%w: %s/%s", ErrConflict, s.coll.Name(), id)
}

// load takes document id from the cache when cached is true and it is
// there, and otherwise reads it (dropping any cached copy: after a
// conflict that copy is stale).
func (s *Store[M, PM]) load(ctx context.Context, id string, cached bool) (M, bool, error) {
	if doc, ok := s.cache.take(id); ok && cached {
		return doc, true, nil
	}
	return s.Get(ctx, id)
}
