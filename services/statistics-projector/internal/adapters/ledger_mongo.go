// Package adapters keeps the statistics read models in MongoDB (and in
// memory, for unit tests) and publishes contributions to Kafka.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/shared/readmodel"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// LedgerCollection records every contribution applied to a statistics
// document, numbered per document.
const LedgerCollection = "statistics_ledger"

// seqField numbers the contributions a statistics document has absorbed.
const seqField = "_seq"

// ErrLedgerConflict means a contribution could not be applied within the
// attempts allowed, because other writers kept changing the document.
var ErrLedgerConflict = errors.New("statistics ledger: too many concurrent writers")

// LedgerMongo applies contributions exactly once, without transactions.
//
// Each statistics document carries _seq, the number of contributions it
// has absorbed. Applying contribution c to a document at _seq n is:
//  1. insert ledger entry {_id: c.ID(), stat: c.Key(), seq: n+1, ...c}.
//     The unique (stat, seq) index lets only one contribution claim n+1;
//     the unique _id lets each contribution be recorded only once.
//  2. update the document where _seq = n: $inc, $max, and _seq = n+1.
//
// A writer that stops between 1 and 2 leaves entry n+1 pending; whoever
// comes next (the same contribution redelivered, or another one) finds it
// and completes step 2 from the entry before doing anything else. So a
// contribution is counted exactly once however often it is delivered, and
// a replay of the whole topic changes nothing. Every step is a single
// document write guarded by _seq, which is safe with concurrent writers on
// MongoDB; the FerretDB stand-in needs the single writer per document that
// the keyed increments topic gives.
type LedgerMongo struct {
	db     *mongo.Database
	ledger *mongo.Collection
}

type ledgerEntry struct {
	ID       string               `bson:"_id"`
	Stat     string               `bson:"stat"`
	Seq      int64                `bson:"seq"`
	Inc      map[string]int64     `bson:"inc"`
	Max      map[string]time.Time `bson:"max,omitempty"`
	Identity map[string]string    `bson:"identity,omitempty"`
	// CommittedAt is the source event's commit time, stamped on the
	// document by whoever absorbs the entry.
	CommittedAt time.Time `bson:"committed_at,omitempty"`
}

// newLedgerEntry records c as its document's contribution number seq.
func newLedgerEntry(c stats.Contribution, seq int64) ledgerEntry {
	return ledgerEntry{ID: c.ID(), Stat: c.Key(), Seq: seq, Inc: c.Inc, Max: c.Max, Identity: c.Identity, CommittedAt: c.CommittedAt}
}

// NewLedgerMongo returns the ledger and creates the indexes it relies on.
func NewLedgerMongo(ctx context.Context, db *mongo.Database) (*LedgerMongo, error) {
	ledger := db.Collection(LedgerCollection)
	if _, err := ledger.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "stat", Value: 1}, {Key: "seq", Value: 1}},
		Options: options.Index().SetName("stat_seq").SetUnique(true),
	}); err != nil {
		return nil, fmt.Errorf("statistics ledger: index: %w", err)
	}
	if _, err := db.Collection(stats.DailyStatistics).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "day", Value: 1}, {Key: "event_type", Value: 1}},
		Options: options.Index().SetName("day_event_type"),
	}); err != nil {
		return nil, fmt.Errorf("statistics: index: %w", err)
	}
	if _, err := db.Collection(stats.UserStatistics).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: stats.LastActivityAt, Value: -1}},
		Options: options.Index().SetName("last_activity_at"),
	}); err != nil {
		return nil, fmt.Errorf("statistics: index: %w", err)
	}
	return &LedgerMongo{db: db, ledger: ledger}, nil
}

// Apply implements stats.Ledger.
func (l *LedgerMongo) Apply(ctx context.Context, c stats.Contribution) (bool, error) {
	const attempts = 20
	coll := l.db.Collection(c.Collection)
	// recorded is set once this call has inserted c's ledger entry: c is
	// then counted exactly once, by this call or by a writer that found the
	// entry pending and completed it, and either way this call applied it.
	recorded := false
	// optimistic is true until a conflict is seen: the usual case, a new
	// contribution to a document with nothing pending, needs no lookups
	// before claiming the next sequence number (3 round trips, not 5).
	// The unique indexes, not the lookups, are what keep Apply exactly
	// once, so a conflict only sends it down the careful path below.
	optimistic := true
	for range attempts {
		seq, err := l.seq(ctx, coll, c.DocID)
		if err != nil {
			return false, err
		}
		if optimistic {
			entry := newLedgerEntry(c, seq+1)
			_, err := l.ledger.InsertOne(ctx, entry)
			switch {
			case err == nil:
				recorded = true
				err = l.absorb(ctx, coll, c.DocID, entry)
				if !errors.Is(err, errStale) {
					return err == nil, err
				}
			case !mongo.IsDuplicateKeyError(err):
				return false, fmt.Errorf("statistics ledger: record %s: %w", c.ID(), err)
			}
			// c was recorded before, an entry is pending at seq+1, or
			// another writer absorbed or moved on: look carefully.
			optimistic = false
			continue
		}
		// c's own entry first: entries are never removed, so if it is
		// recorded at seq+1 the lookup of seq+1 below finds it too.
		mine, err := l.entry(ctx, c.Key(), bson.D{{Key: "_id", Value: c.ID()}})
		if err != nil {
			return false, err
		}
		if mine != nil && mine.Seq <= seq {
			// Already absorbed: recorded by an earlier delivery, or by
			// this call and completed by another writer.
			return recorded, nil
		}
		next, err := l.entry(ctx, c.Key(), bson.D{{Key: "stat", Value: c.Key()}, {Key: "seq", Value: seq + 1}})
		if err != nil {
			return false, err
		}
		if next != nil {
			// Entry seq+1 is recorded but not yet in the document.
			if err := l.absorb(ctx, coll, c.DocID, *next); err != nil && !errors.Is(err, errStale) {
				return false, err
			}
			if next.ID == c.ID() {
				return true, nil
			}
			continue
		}
		if mine != nil {
			continue // recorded after the document was read: look again
		}
		entry := newLedgerEntry(c, seq+1)
		if _, err := l.ledger.InsertOne(ctx, entry); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				continue // another writer claimed seq+1, or recorded c
			}
			return false, fmt.Errorf("statistics ledger: record %s: %w", c.ID(), err)
		}
		recorded = true
		err = l.absorb(ctx, coll, c.DocID, entry)
		if errors.Is(err, errStale) {
			continue // someone absorbed it for us, or moved on: look again
		}
		return err == nil, err
	}
	return false, fmt.Errorf("%w: %s", ErrLedgerConflict, c.Key())
}

// seq is the number of contributions document id has absorbed.
func (l *LedgerMongo) seq(ctx context.Context, coll *mongo.Collection, id string) (int64, error) {
	var doc struct {
		Seq int64 `bson:"_seq"`
	}
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: seqField, Value: 1}})).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("statistics: read %s/%s: %w", coll.Name(), id, err)
	}
	return doc.Seq, nil
}

// entry finds the ledger entry of document key matching filter, if any.
// Two point lookups (by _id, and by the unique (stat, seq)) rather than one
// $or query: both use an index on MongoDB, and FerretDB cannot push an $or
// down to PostgreSQL, so it scans and decodes the whole ledger for one
// (measured: 93 ms per lookup at 1,000 entries, against about 1 ms).
func (l *LedgerMongo) entry(ctx context.Context, key string, filter bson.D) (*ledgerEntry, error) {
	var e ledgerEntry
	err := l.ledger.FindOne(ctx, filter).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("statistics ledger: read %s: %w", key, err)
	}
	return &e, nil
}

// errStale means the document was no longer at the sequence the entry
// follows: another writer got there first.
var errStale = errors.New("statistics: document moved on")

// absorb adds entry to document id, if the document is at entry.Seq-1.
func (l *LedgerMongo) absorb(ctx context.Context, coll *mongo.Collection, id string, e ledgerEntry) error {
	// The freshness stamps of readmodel.Meta, as every read model has them.
	set := bson.D{{Key: seqField, Value: e.Seq}, {Key: readmodel.ProjectedAtField, Value: time.Now().UTC()}}
	if !e.CommittedAt.IsZero() {
		set = append(set, bson.E{Key: readmodel.CommittedAtField, Value: e.CommittedAt})
	}
	update := bson.D{{Key: "$set", Value: set}}
	if len(e.Inc) > 0 {
		update = append(update, bson.E{Key: "$inc", Value: e.Inc})
	}
	if len(e.Max) > 0 {
		update = append(update, bson.E{Key: "$max", Value: e.Max})
	}
	if len(e.Identity) > 0 {
		update = append(update, bson.E{Key: "$setOnInsert", Value: e.Identity})
	}
	filter := bson.D{{Key: "_id", Value: id}, {Key: seqField, Value: e.Seq - 1}}
	res, err := coll.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(e.Seq == 1))
	switch {
	case mongo.IsDuplicateKeyError(err):
		return errStale // upsert of a document that exists at another _seq
	case err != nil:
		return fmt.Errorf("statistics: update %s/%s: %w", coll.Name(), id, err)
	case res.MatchedCount == 0 && res.UpsertedCount == 0:
		return errStale
	}
	return nil
}
