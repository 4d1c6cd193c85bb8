package readmodel

import "context"

// MaxConcurrentWrites bounds the bulk writes one process has in flight,
// whatever stores and partitions they come from. FerretDB, the stand-in
// for MongoDB here, hangs for good when the bulk writes in flight from all
// its clients match 50 or more existing documents (see DefaultMaxBulk),
// and writes documents one by one anyway, so more concurrency buys nothing
// there; partitions waiting for the slot meanwhile gather larger batches.
const MaxConcurrentWrites = 1

var writeSlots = make(chan struct{}, MaxConcurrentWrites)

// acquireWrite waits for a write slot; release gives it back.
func acquireWrite(ctx context.Context) (release func(), err error) {
	select {
	case writeSlots <- struct{}{}:
		return func() { <-writeSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
