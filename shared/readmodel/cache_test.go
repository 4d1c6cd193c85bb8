package readmodel

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDocCacheTakesAndEvictsLeastRecentlyUsed(t *testing.T) {
	c := newDocCache[string](2)
	c.put("a", "A")
	c.put("b", "B")
	c.put("a", "A2") // a is now the most recent
	c.put("c", "C")  // evicts b
	assert.Equal(t, 2, c.len())
	_, ok := c.take("b")
	assert.False(t, ok, "b was evicted")
	got, ok := c.take("a")
	assert.True(t, ok)
	assert.Equal(t, "A2", got)
	_, ok = c.take("a")
	assert.False(t, ok, "take removes")
	assert.Equal(t, 1, c.len())

	off := newDocCache[string](0)
	off.put("a", "A")
	assert.Equal(t, 0, off.len(), "a zero capacity keeps nothing")
}
