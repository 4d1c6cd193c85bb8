package loadgen

import (
	"sync"
	"sync/atomic"
	"time"
)

// collector gathers committed events from the workers.
type collector struct {
	mu         sync.Mutex
	events     []Committed
	byType     map[string]int
	byCategory map[string]int
	maxLag     time.Duration
	count      atomic.Int64 // len(events), for the progress display without the lock
}

func newCollector() *collector {
	return &collector{byType: map[string]int{}, byCategory: map[string]int{}}
}

// add records c; due is when a rate-mode event was scheduled (zero in count
// mode).
func (c *collector) add(ev Committed, due time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
	c.byType[ev.EventType]++
	c.byCategory[CategoryOf(ev.EventType)]++
	if !due.IsZero() {
		c.maxLag = max(c.maxLag, ev.CommittedAt.Sub(due))
	}
	c.count.Add(1)
}

// fill copies what was collected into res; call it after the workers end.
func (c *collector) fill(res *Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	res.Events = c.events
	res.ByType = c.byType
	res.ByCategory = c.byCategory
	res.MaxLag = c.maxLag
}
