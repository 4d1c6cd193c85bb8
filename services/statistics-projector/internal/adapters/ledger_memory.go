package adapters

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// Document is a statistics document as the memory ledger keeps it.
type Document struct {
	Counters map[string]int64
	Latest   map[string]time.Time
	Identity map[string]string
}

// LedgerMemory applies contributions exactly once, in memory, for unit
// tests of the application layer.
type LedgerMemory struct {
	mu      sync.Mutex
	applied map[string]bool
	docs    map[string]Document
}

// NewLedgerMemory returns an empty ledger.
func NewLedgerMemory() *LedgerMemory {
	return &LedgerMemory{applied: map[string]bool{}, docs: map[string]Document{}}
}

// Apply implements stats.Ledger.
func (l *LedgerMemory) Apply(_ context.Context, c stats.Contribution) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.applied[c.ID()] {
		return false, nil
	}
	l.applied[c.ID()] = true
	d, ok := l.docs[c.Key()]
	if !ok {
		d = Document{Counters: map[string]int64{}, Latest: map[string]time.Time{}, Identity: maps.Clone(c.Identity)}
	}
	for k, n := range c.Inc {
		d.Counters[k] += n
	}
	for k, t := range c.Max {
		if t.After(d.Latest[k]) {
			d.Latest[k] = t
		}
	}
	l.docs[c.Key()] = d
	return true, nil
}

// Document returns a copy of the document collection/id.
func (l *LedgerMemory) Document(collection, id string) (Document, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.docs[collection+"/"+id]
	return Document{Counters: maps.Clone(d.Counters), Latest: maps.Clone(d.Latest), Identity: maps.Clone(d.Identity)}, ok
}
