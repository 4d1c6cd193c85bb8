package router

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/activityapp/event-processor/shared/kafka"
)

// A sequence is the records of one key, the aggregate the connector keys
// every outbox record by: Kafka keeps them in order on one partition. Once
// a record of a sequence is poisoned, a sequenced handler (BatchHandler's
// Sequenced) parks the sequence's later records behind it instead of
// applying them past the gap: they go to the poison topic too, with the
// ParkedBehindKey header. Replaying the sequence (the poisoned record,
// then the parked ones, in order) releases it: each replayed record is
// applied only when it is the sequence's next, and the block ends with
// the last. The blocks are kept in a BlockStore, so they outlive the
// instance and follow the partition to its next owner.

// Headers of parked and replayed records.
const (
	// ParkedBehindKey is set on a parked record's poison entry: the
	// origin of the poisoned record it waits for.
	ParkedBehindKey = "parked_behind"
	// OriginKey is set on a replayed record: where its event was first
	// read ("topic/partition/offset"), which identifies it in a block
	// whichever copy of it comes back.
	OriginKey = "origin"
	// DropKey is set on a record (without a value) that bin/poison drop
	// writes for the service of ReplayForKey: the poisoned event first
	// read at this origin will not be applied, so the records of its
	// sequence no longer wait for it.
	DropKey = "drop"
)

// Skip reasons of sequenced handlers.
const (
	// SkipAlreadyParked is a record delivered again after it was parked.
	SkipAlreadyParked = "already_parked"
	// SkipDropped is a drop record (DropKey).
	SkipDropped = "dropped"
)

// Block is a sequence a handler does not apply past a poisoned record.
type Block struct {
	Handler   string
	Key       string
	Topic     string
	Partition int32
	// Parked are the origins of the sequence's records not applied yet,
	// in order: the poisoned one first, then those parked behind it.
	Parked []string
	Since  time.Time
}

// head is the origin of the record the sequence waits for.
func (b *Block) head() string { return b.Parked[0] }

// BlockStore keeps the blocked sequences. One partition's blocks have one
// writer at a time, the partition's owner.
type BlockStore interface {
	// Blocks are the blocks of handler on topic's partition.
	Blocks(ctx context.Context, handler, topic string, partition int32) ([]Block, error)
	// Save writes b whole, replacing the block of its handler and key.
	Save(ctx context.Context, b Block) error
	// Release deletes the block of handler and key; releasing a sequence
	// that is not blocked is not an error.
	Release(ctx context.Context, handler, key string) error
}

// origin identifies rec in a block: where its event was first read.
func origin(rec kafka.Record) string {
	if o := rec.Headers[OriginKey]; o != "" {
		return o
	}
	return rec.Topic + "/" + strconv.Itoa(int(rec.Partition)) + "/" + strconv.FormatInt(rec.Offset, 10)
}

// sequencer holds the blocks of the partitions this instance owns, loaded
// from the store when a partition is claimed, and written through to it.
type sequencer struct {
	store BlockStore
	now   func() time.Time

	mu    sync.Mutex
	parts map[partitionKey]*partitionBlocks
}

type partitionKey struct {
	handler, topic string
	partition      int32
}

// partitionBlocks are one claimed partition's blocks by key. Only the
// partition's claim goroutine uses them.
type partitionBlocks struct {
	claim  uint64
	blocks map[string]*Block
}

func newSequencer(store BlockStore) *sequencer {
	return &sequencer{store: store, now: time.Now, parts: map[partitionKey]*partitionBlocks{}}
}

// cached returns the blocks of batch's partition when they were loaded for
// its claim, nil when they must be loaded (load).
func (s *sequencer) cached(handler string, batch kafka.Batch) *partitionBlocks {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pb := s.parts[partitionKey{handler: handler, topic: batch.Topic, partition: batch.Partition}]; pb != nil && pb.claim == batch.Claim {
		return pb
	}
	return nil
}

// load reads the blocks of batch's partition, for a claim not seen before:
// the partition may have been blocked further by its previous owner.
func (s *sequencer) load(ctx context.Context, handler string, batch kafka.Batch) (*partitionBlocks, error) {
	blocks, err := s.store.Blocks(ctx, handler, batch.Topic, batch.Partition)
	if err != nil {
		return nil, fmt.Errorf("router: loading the blocked sequences of %s/%d: %w", batch.Topic, batch.Partition, err)
	}
	pb := &partitionBlocks{claim: batch.Claim, blocks: make(map[string]*Block, len(blocks))}
	for _, b := range blocks {
		if len(b.Parked) > 0 {
			pb.blocks[b.Key] = &b
		}
	}
	s.mu.Lock()
	s.parts[partitionKey{handler: handler, topic: batch.Topic, partition: batch.Partition}] = pb
	s.mu.Unlock()
	return pb, nil
}

// blocked is the block of rec's sequence, nil when it has none. It costs a
// length check while nothing on the partition is blocked.
func (pb *partitionBlocks) blocked(rec kafka.Record) *Block {
	if pb == nil || len(pb.blocks) == 0 || rec.Key == nil {
		return nil
	}
	return pb.blocks[string(rec.Key)]
}

// block starts a block of rec's sequence behind rec, which was poisoned.
func (s *sequencer) block(ctx context.Context, pb *partitionBlocks, handler string, rec kafka.Record) (*Block, error) {
	b := &Block{Handler: handler, Key: string(rec.Key), Topic: rec.Topic, Partition: rec.Partition,
		Parked: []string{origin(rec)}, Since: s.now().UTC()}
	if err := s.store.Save(ctx, *b); err != nil {
		return nil, err
	}
	pb.blocks[b.Key] = b
	return b, nil
}

// park adds rec behind b.
func (s *sequencer) park(ctx context.Context, b *Block, rec kafka.Record) error {
	next := *b
	next.Parked = append(slices.Clip(b.Parked), origin(rec))
	if err := s.store.Save(ctx, next); err != nil {
		return err
	}
	*b = next
	return nil
}

// remove takes the record first read at origin out of b, which has been
// applied or dropped, and releases b when nothing is left in it. It
// reports whether b was released.
func (s *sequencer) remove(ctx context.Context, pb *partitionBlocks, b *Block, origin string) (released bool, err error) {
	rest := slices.DeleteFunc(slices.Clone(b.Parked), func(o string) bool { return o == origin })
	if len(rest) == 0 {
		if err := s.store.Release(ctx, b.Handler, b.Key); err != nil {
			return false, err
		}
		delete(pb.blocks, b.Key)
		return true, nil
	}
	next := *b
	next.Parked = rest
	if err := s.store.Save(ctx, next); err != nil {
		return false, err
	}
	*b = next
	return false, nil
}
