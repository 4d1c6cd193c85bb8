package readmodel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/activityapp/event-processor/shared/fault"
)

// Change is one event's change of one document.
type Change[PM any] struct {
	ID string
	// CommittedAt is when the change's event committed; a written document
	// is stamped with the newest of the changes that modified it (zero: a
	// write with no event behind it, such as a tool's).
	CommittedAt time.Time
	// Apply modifies the document (a new one with only its ID set when
	// absent) and reports whether it changed anything. It must be
	// idempotent: after a conflict it runs again on the document as read.
	Apply func(doc PM) (changed bool, err error)
	// Creates says the change's event creates the document (the first
	// event of its aggregate). When such a change is the first of its
	// document in a batch and the store has no copy, the store takes the
	// document to be new without reading it; a wrong guess (a replay of
	// an old event) fails the write's guard, and the document is read
	// and the batch's changes applied again.
	Creates bool
}

// WriteStats says what a batch cost the store.
type WriteStats struct {
	// Documents written.
	Documents int
	// RoundTrips are the commands sent: reads and bulk writes.
	RoundTrips int
}

// Add returns the sum of s and o.
func (s WriteStats) Add(o WriteStats) WriteStats {
	return WriteStats{Documents: s.Documents + o.Documents, RoundTrips: s.RoundTrips + o.RoundTrips}
}

// batchAttempts bounds the rounds of re-reading conflicted documents.
const batchAttempts = 5

// folded is one document of a batch: its state and the changes it takes.
type folded[M any] struct {
	doc     M
	found   bool
	changes []int // indexes into the batch, in order
	rev     int64 // the revision the write is guarded by
	// assumeNew skips the read of an uncached document on the first
	// attempt (see Change.Creates).
	assumeNew bool
	// stored is the document as the store holds it, before this batch's
	// changes (BSON; nil when absent), and settled says the batch is done
	// with it (written, or unchanged and cached again).
	stored  []byte
	settled bool
	// committed holds when the events of the changes that modified the
	// document committed (those with a commit time), for the
	// commit-to-write histogram once the write succeeds.
	committed []time.Time
}

// UpdateBatch applies changes, in order, to their documents and writes each
// changed document once.
//
// Documents the store wrote before come from its own copy; the rest are
// read in one query. Every document's changes are applied to it in the
// order given (so per-document order is the batch's), and the changed ones
// go out in one unordered bulk write of inserts (new documents) and
// replaces guarded by the revision they started from, at most
// DefaultMaxBulk per command. A guard that fails (the
// document moved on: another writer, or a stale copy) surfaces as a
// duplicate-key error for that document alone; those documents, and for
// safety every one after the first failure in the same command (FerretDB
// stops a bulk write at its first error), are read again and their changes
// applied again. A change that fails stops the batch with its error.
func (s *Store[M, PM]) UpdateBatch(ctx context.Context, changes []Change[PM]) (stats WriteStats, err error) {
	docs := make(map[string]*folded[M])
	defer func() {
		if err != nil {
			s.keepStored(docs)
			err = classify(err) // every error path, reads and writes alike
		}
	}()
	var order []string
	for i, c := range changes {
		f, ok := docs[c.ID]
		if !ok {
			f = &folded[M]{assumeNew: c.Creates}
			docs[c.ID] = f
			order = append(order, c.ID)
		}
		f.changes = append(f.changes, i)
	}

	pending := order
	for attempt := range batchAttempts {
		if err := s.load(ctx, docs, pending, attempt == 0, &stats); err != nil {
			return stats, err
		}
		writes, err := s.fold(changes, docs, pending)
		if err != nil {
			return stats, err
		}
		if len(writes) == 0 {
			return stats, nil
		}
		pending, err = s.write(ctx, docs, writes, &stats)
		if err != nil {
			return stats, err
		}
		if len(pending) == 0 {
			return stats, nil
		}
	}
	return stats, fmt.Errorf("%w: %s: %d documents, e.g. %s", ErrConflict, s.coll.Name(), len(pending), pending[0])
}

// keepStored puts back into the cache the documents of a failed batch
// as they were stored before it, so that its retry (a timeout under load,
// an outage) starts from them instead of reading every one again. A copy
// gone stale meanwhile (the write went through after all) fails the
// retry's guard and is read then.
func (s *Store[M, PM]) keepStored(docs map[string]*folded[M]) {
	for id, f := range docs {
		if f.settled || f.stored == nil {
			continue
		}
		var doc M
		if bson.Unmarshal(f.stored, &doc) == nil {
			s.cache.put(id, doc)
		}
	}
}

// snapshot records f's document as stored, for keepStored.
func snapshot[M any, PM Document[M]](f *folded[M]) {
	f.stored = nil
	if f.found {
		f.stored, _ = bson.Marshal(PM(&f.doc))
	}
}

// load fills docs[ids] from the cache (on the first attempt) or the
// collection. Documents are read one by one, a few at a time: a query by
// _id is what every MongoDB-compatible store answers from its index
// (FerretDB scans the whole collection for an _id $in query).
func (s *Store[M, PM]) load(ctx context.Context, docs map[string]*folded[M], ids []string, first bool, stats *WriteStats) error {
	var missing []string
	for _, id := range ids {
		f := docs[id]
		var zero M
		f.doc, f.found = zero, false
		if doc, ok := s.cache.take(id); ok && first {
			f.doc, f.found = doc, true
			snapshot[M, PM](f)
			continue
		}
		if first && f.assumeNew {
			continue
		}
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return nil
	}
	stats.RoundTrips += len(missing)
	s.metrics.reads.Add(float64(len(missing)))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxConcurrentReads)
	results := make([]M, len(missing))
	found := make([]bool, len(missing))
	for i, id := range missing {
		g.Go(func() error {
			doc, ok, err := s.Get(gctx, id)
			results[i], found[i] = doc, ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, id := range missing {
		docs[id].doc, docs[id].found = results[i], found[i]
		snapshot[M, PM](docs[id])
	}
	return nil
}

// maxConcurrentReads bounds the reads of one batch in flight.
const maxConcurrentReads = 8

// fold applies the changes of docs[ids] and returns the ids of the changed
// documents, with their revision moved on and their stamps set.
func (s *Store[M, PM]) fold(changes []Change[PM], docs map[string]*folded[M], ids []string) ([]string, error) {
	now := time.Now().UTC()
	var writes []string
	for _, id := range ids {
		f := docs[id]
		p := PM(&f.doc)
		meta := p.DocumentMeta()
		meta.ID = id
		changed := false
		var committed time.Time
		f.committed = f.committed[:0]
		for _, i := range f.changes {
			c, err := changes[i].Apply(p)
			if err != nil {
				// The copy may be half changed: it stays out of the
				// cache, so the next batch reads the document again.
				return nil, err
			}
			if c {
				changed = true
				if at := changes[i].CommittedAt; !at.IsZero() {
					f.committed = append(f.committed, at)
					if at.After(committed) {
						committed = at
					}
				}
			}
		}
		if !changed {
			if f.found {
				s.cache.put(id, f.doc)
			}
			f.settled = true
			continue
		}
		f.rev = meta.Rev
		meta.Rev++
		meta.CommittedAt = time.Time{}
		if !committed.IsZero() {
			meta.CommittedAt = committed.UTC()
		}
		meta.ProjectedAt = now
		writes = append(writes, id)
	}
	return writes, nil
}

// write sends the changed documents in bulk writes and returns the ids
// whose guard failed (or whose fate is unknown) and must be folded again.
func (s *Store[M, PM]) write(ctx context.Context, docs map[string]*folded[M], ids []string, stats *WriteStats) ([]string, error) {
	var retry []string
	for chunk := range slices.Chunk(ids, s.opts.maxBulk) {
		models := make([]mongo.WriteModel, len(chunk))
		for i, id := range chunk {
			f := docs[id]
			raw, err := s.encode(id, &f.doc)
			if err != nil {
				return nil, err
			}
			if !f.found {
				// A new document: an insert, whose unique _id is the
				// guard (cheaper than an upsert, which has to look first).
				models[i] = mongo.NewInsertOneModel().SetDocument(raw)
				continue
			}
			models[i] = mongo.NewReplaceOneModel().
				SetFilter(bson.D{{Key: "_id", Value: id}, {Key: "_rev", Value: f.rev}}).
				SetReplacement(raw).
				SetUpsert(true)
		}
		res, err := s.bulkWrite(ctx, models)
		stats.RoundTrips++
		s.metrics.writes.Inc()
		failedFrom, err := conflictsFrom(err, len(chunk))
		if err != nil {
			return nil, fmt.Errorf("readmodel: write %d documents of %s: %w", len(chunk), s.coll.Name(), err)
		}
		if failedFrom == len(chunk) && res != nil && res.InsertedCount+res.MatchedCount+res.UpsertedCount < int64(len(chunk)) {
			// Every guard held, yet fewer documents were written than
			// sent: a store that skipped some silently. Read them all
			// again rather than trust the copies.
			failedFrom = 0
		}
		written := time.Now()
		for i, id := range chunk {
			if i >= failedFrom {
				retry = append(retry, id)
				continue
			}
			f := docs[id]
			s.cache.put(id, f.doc)
			f.settled = true
			stats.Documents++
			for _, at := range f.committed {
				s.metrics.commitToWrite.Observe(written.Sub(at).Seconds())
			}
		}
		s.metrics.documentsWritten.Add(float64(min(failedFrom, len(chunk))))
	}
	return retry, nil
}

// encode marshals a document to write, refusing one over the size limit:
// no retry can shrink it, so the error is permanent (the router poisons the
// event that grew it past the limit, and every later one of that document).
func (s *Store[M, PM]) encode(id string, doc *M) (bson.Raw, error) {
	raw, err := bson.Marshal(PM(doc))
	if err != nil {
		return nil, fault.Permanent(fmt.Errorf("readmodel: encode %s/%s: %w", s.coll.Name(), id, err))
	}
	if len(raw) > s.opts.maxDocumentBytes {
		return nil, fault.Permanent(fmt.Errorf("readmodel: %s/%s: %w: %d bytes, the limit is %d",
			s.coll.Name(), id, ErrDocumentTooLarge, len(raw), s.opts.maxDocumentBytes))
	}
	return raw, nil
}

func (s *Store[M, PM]) bulkWrite(ctx context.Context, models []mongo.WriteModel) (*mongo.BulkWriteResult, error) {
	release, err := acquireWrite(ctx, len(models))
	if err != nil {
		return nil, err
	}
	defer release()
	return s.coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
}

// conflictsFrom reads a bulk write's error: n when it had none, the index
// of the first failed model when every failure is a guard conflict
// (duplicate key), or the error itself for anything else.
func conflictsFrom(err error, n int) (int, error) {
	if err == nil {
		return n, nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return 0, err
	}
	first := n
	for _, we := range bwe.WriteErrors {
		if !isDuplicateKey(we.Code) {
			return 0, err
		}
		first = min(first, we.Index)
	}
	return first, nil
}

// isDuplicateKey reports the codes MongoDB uses for a duplicate key, which
// is how a failed guard of an upsert shows.
func isDuplicateKey(code int) bool { return code == 11000 || code == 11001 || code == 12582 }
