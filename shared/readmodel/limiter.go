package readmodel

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// MaxDocumentsInFlight bounds the documents of the bulk writes one process
// has in flight, whatever stores and partitions they come from. FerretDB,
// the stand-in for MongoDB here, hangs for good when the bulk writes in
// flight from all its clients match 50 or more existing documents (see
// DefaultMaxBulk); 16 per process keeps the three projectors below that,
// while the small batches of many partitions still go out side by side
// (a store works on several writes at once much faster than on one after
// the other).
const MaxDocumentsInFlight = DefaultMaxBulk

var documentsInFlight = semaphore.NewWeighted(MaxDocumentsInFlight)

// acquireWrite waits until n more documents may be in flight; release
// gives them back.
func acquireWrite(ctx context.Context, n int) (release func(), err error) {
	n = min(n, MaxDocumentsInFlight)
	if err := documentsInFlight.Acquire(ctx, int64(n)); err != nil {
		return nil, err
	}
	return func() { documentsInFlight.Release(int64(n)) }, nil
}
