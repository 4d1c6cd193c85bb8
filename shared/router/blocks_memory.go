package router

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// MemoryBlocks is a BlockStore in memory, for tests and benchmarks: its
// blocks outlive a router that uses it, not the process.
type MemoryBlocks struct {
	mu     sync.Mutex
	blocks map[[2]string]Block
}

var _ BlockStore = (*MemoryBlocks)(nil)

// NewMemoryBlocks returns an empty store.
func NewMemoryBlocks() *MemoryBlocks { return &MemoryBlocks{blocks: map[[2]string]Block{}} }

// Blocks are the blocks of handler on topic's partition, by key.
func (m *MemoryBlocks) Blocks(_ context.Context, handler, topic string, partition int32) ([]Block, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Block
	for _, b := range m.blocks {
		if b.Handler == handler && b.Topic == topic && b.Partition == partition {
			out = append(out, clone(b))
		}
	}
	slices.SortFunc(out, func(a, b Block) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// Save writes b whole.
func (m *MemoryBlocks) Save(_ context.Context, b Block) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blocks[[2]string{b.Handler, b.Key}] = clone(b)
	return nil
}

// Release deletes the block of handler and key.
func (m *MemoryBlocks) Release(_ context.Context, handler, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blocks, [2]string{handler, key})
	return nil
}

func clone(b Block) Block {
	b.Parked = slices.Clone(b.Parked)
	return b
}
