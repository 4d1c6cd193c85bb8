package readmodel

import (
	"container/list"
	"sync"
)

// DefaultCacheSize is how many documents a Store keeps in memory.
const DefaultCacheSize = 10_000

// docCache keeps the documents a Store last wrote, least recently used
// first out. A Store takes a document out while it changes it, so no two
// updates share one, and puts it back once it is written.
type docCache[M any] struct {
	mu       sync.Mutex
	capacity int
	order    *list.List // of *cached[M], most recent first
	items    map[string]*list.Element
}

type cached[M any] struct {
	id  string
	doc M
}

func newDocCache[M any](capacity int) *docCache[M] {
	return &docCache[M]{capacity: capacity, order: list.New(), items: map[string]*list.Element{}}
}

// take removes id's document from the cache and returns it.
func (c *docCache[M]) take(id string) (M, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[id]
	if !ok {
		var zero M
		return zero, false
	}
	c.order.Remove(e)
	delete(c.items, id)
	return e.Value.(*cached[M]).doc, true
}

// put keeps doc as id's document, evicting the least recently used one
// when full.
func (c *docCache[M]) put(id string, doc M) {
	if c.capacity <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[id]; ok {
		c.order.Remove(e)
	}
	c.items[id] = c.order.PushFront(&cached[M]{id: id, doc: doc})
	for c.order.Len() > c.capacity {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cached[M]).id)
	}
}

// len is the number of cached documents.
func (c *docCache[M]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
