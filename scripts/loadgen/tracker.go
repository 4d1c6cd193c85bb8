package loadgen

import (
	"context"
	"sync"
)

// commitTracker lets a worker wait until the events its event depends on
// have committed. Only events that are registered and not yet committed are
// kept: a dependency is always registered before the event that names it,
// so an unknown Seq has committed.
type commitTracker struct {
	mu      sync.Mutex
	pending map[int]chan struct{}
}

func newCommitTracker() *commitTracker {
	return &commitTracker{pending: map[int]chan struct{}{}}
}

// register marks seq as dispatched and not yet committed.
func (t *commitTracker) register(seq int) {
	t.mu.Lock()
	t.pending[seq] = make(chan struct{})
	t.mu.Unlock()
}

// committed releases the events waiting for seq.
func (t *commitTracker) committed(seq int) {
	t.mu.Lock()
	done, ok := t.pending[seq]
	delete(t.pending, seq)
	t.mu.Unlock()
	if ok {
		close(done)
	}
}

// wait returns once every seq of deps has committed, or ctx's error.
func (t *commitTracker) wait(ctx context.Context, deps []int) error {
	for _, seq := range deps {
		t.mu.Lock()
		done, ok := t.pending[seq]
		t.mu.Unlock()
		if !ok {
			continue
		}
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
