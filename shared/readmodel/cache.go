package readmodel

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// DefaultCacheSize is how many documents a Store keeps in memory.
const DefaultCacheSize = 10_000

// docCache keeps the documents a Store last wrote, least recently used
// first out. A Store takes a document out while it changes it, so no two
// updates share one, and puts it back once it is written. The lock makes
// take one step (simplelru's own LRU is not safe for concurrent use, and
// golang-lru's safe Cache has no take).
type docCache[M any] struct {
	mu  sync.Mutex
	lru *simplelru.LRU[string, M] // nil: caching is off
}

func newDocCache[M any](capacity int) *docCache[M] {
	c := &docCache[M]{}
	if capacity > 0 {
		c.lru, _ = simplelru.NewLRU[string, M](capacity, nil) // fails only for a capacity <= 0
	}
	return c
}

// take removes id's document from the cache and returns it.
func (c *docCache[M]) take(id string) (M, bool) {
	var zero M
	if c.lru == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	doc, ok := c.lru.Peek(id)
	if ok {
		c.lru.Remove(id)
	}
	return doc, ok
}

// put keeps doc as id's document, evicting the least recently used one
// when full.
func (c *docCache[M]) put(id string, doc M) {
	if c.lru == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Add(id, doc)
}

// len is the number of cached documents.
func (c *docCache[M]) len() int {
	if c.lru == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
