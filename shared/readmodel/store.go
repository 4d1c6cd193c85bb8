// Package readmodel stores read-model documents in MongoDB with optimistic
// concurrency, a batch at a time.
package readmodel

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Meta is embedded (bson ",inline") in every document a Store writes.
type Meta struct {
	ID string `bson:"_id"`
	// Rev counts the writes of the document. Every write is guarded by the
	// revision it started from, so two writers can never both apply a
	// change on top of the same state (on MongoDB; the FerretDB stand-in
	// applies concurrent updates without a lock, which is why each
	// document also has a single writer: its Kafka partition).
	Rev int64 `bson:"_rev"`
	// CommittedAt and ProjectedAt say how fresh the document is: when the
	// transaction of the newest event that changed it committed in
	// PostgreSQL, and when the projector wrote it. Their difference is the
	// commit-to-read-model latency (the demo report reads it). Only
	// observability: no projection decision depends on them, and a batch
	// that changes nothing writes nothing, so a replay leaves them alone.
	CommittedAt time.Time `bson:"_committed_at,omitempty"`
	ProjectedAt time.Time `bson:"_projected_at,omitempty"`
}

// Stamp fields, as documents show them.
const (
	CommittedAtField = "_committed_at"
	ProjectedAtField = "_projected_at"
)

// DocumentMeta returns the embedded Meta; it makes *M satisfy Document.
func (m *Meta) DocumentMeta() *Meta { return m }

// Document is a pointer to a model that embeds Meta.
type Document[M any] interface {
	*M
	DocumentMeta() *Meta
}

// ErrConflict means other writers changed documents between read and write
// more often than a batch retries; the caller's batch is retried.
var ErrConflict = errors.New("readmodel: concurrent update conflict")

// DefaultMaxBulk caps the documents of one bulk write. FerretDB, the
// stand-in for MongoDB here, holds a pooled PostgreSQL connection for every
// document an update command matches until the command ends, and hangs for
// good (every client) once its pool of 50 runs dry: 16 per process (see
// MaxDocumentsInFlight) keeps the three projectors below that. Bulk size buys little beyond it anyway:
// FerretDB writes the documents one by one, and 16 documents per round
// trip already make the round trips a small part of a batch's cost.
const DefaultMaxBulk = 16

// StoreOption configures a Store.
type StoreOption func(*storeOptions)

type storeOptions struct {
	registerer       prometheus.Registerer
	readModel        string
	maxBulk          int
	cacheSize        int
	maxDocumentBytes int
}

// WithMetrics registers the store's metrics in reg: documents written,
// round trips, and the commit-to-write histogram, labelled by collection.
// Stores of several collections share one registry.
func WithMetrics(reg prometheus.Registerer) StoreOption {
	return func(o *storeOptions) { o.registerer = reg }
}

// WithReadModel names the read model the collection serves, for the
// metrics' labels (default: the collection's name): a rebuilt read model
// lives in a collection of another name (see Resolve).
func WithReadModel(name string) StoreOption {
	return func(o *storeOptions) { o.readModel = name }
}

// WithMaxBulk caps the documents of one bulk write.
func WithMaxBulk(n int) StoreOption {
	return func(o *storeOptions) { o.maxBulk = n }
}

// WithMaxDocumentBytes sets the largest document the store writes
// (default DefaultMaxDocumentBytes); a larger one fails its write with
// ErrDocumentTooLarge, permanently.
func WithMaxDocumentBytes(n int) StoreOption {
	return func(o *storeOptions) { o.maxDocumentBytes = n }
}

// WithCacheSize sets how many written documents the store keeps.
func WithCacheSize(n int) StoreOption {
	return func(o *storeOptions) { o.cacheSize = n }
}

// Store reads and writes one collection of M.
//
// It keeps the documents it wrote (up to DefaultCacheSize, least recently
// used out) and starts the next change of one from that copy instead of
// reading it again. That is safe because every write is guarded by the
// revision it started from: if anyone else wrote the document since
// (another instance after a rebalance), the guard fails, the copy is
// dropped, and the store reads the document again. The read models are
// owned by their projectors; a tool that edits a document without moving
// _rev is not seen.
type Store[M any, PM Document[M]] struct {
	coll    *mongo.Collection
	cache   *docCache[M]
	opts    storeOptions
	metrics storeMetrics
}

// NewStore returns a store over coll.
func NewStore[M any, PM Document[M]](coll *mongo.Collection, opts ...StoreOption) *Store[M, PM] {
	o := storeOptions{maxBulk: DefaultMaxBulk, cacheSize: DefaultCacheSize, maxDocumentBytes: DefaultMaxDocumentBytes}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxBulk < 1 {
		o.maxBulk = DefaultMaxBulk
	}
	if o.maxDocumentBytes < 1 {
		o.maxDocumentBytes = DefaultMaxDocumentBytes
	}
	return &Store[M, PM]{coll: coll, cache: newDocCache[M](o.cacheSize), opts: o, metrics: newStoreMetrics(o.registerer, cmp.Or(o.readModel, coll.Name()))}
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

// Update lets change modify document id (a zero M with its ID set when
// absent) and writes it if change reports a modification: UpdateBatch
// with one change and no commit time.
func (s *Store[M, PM]) Update(ctx context.Context, id string, change func(doc PM) (changed bool, err error)) error {
	_, err := s.UpdateBatch(ctx, []Change[PM]{{ID: id, Apply: change}})
	return err
}
