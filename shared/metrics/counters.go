// Package metrics keeps the projectors' counters and serves them in the
// Prometheus text format. It is deliberately small: a handful of counters
// needs no client library.
package metrics

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Counter names used across the projectors.
const (
	MessagesProcessed   = "messages_processed_total"    // labels: handler
	MessagesSkipped     = "messages_skipped_total"      // labels: handler, reason
	MessagesPoisoned    = "messages_poisoned_total"     // labels: handler
	MessagesRetried     = "messages_retried_total"      // labels: handler, kind
	UnknownEventTypes   = "unknown_event_types_total"   // labels: event_type
	EventHandlerApplied = "event_handler_applied_total" // labels: event_handler
)

// Counters is a set of monotonically increasing counters identified by a
// name and label values. The zero value is not usable: call NewCounters.
type Counters struct {
	mu     sync.RWMutex
	values map[series]*atomic.Int64
}

type series struct {
	name   string
	labels string // rendered `k="v",k2="v2"`, sorted by key
}

// NewCounters returns an empty set.
func NewCounters() *Counters {
	return &Counters{values: make(map[series]*atomic.Int64)}
}

// Inc adds one to the counter name{labels}; labels are key, value pairs.
func (c *Counters) Inc(name string, labels ...string) {
	c.Add(name, 1, labels...)
}

// Add adds n to the counter name{labels}.
func (c *Counters) Add(name string, n int64, labels ...string) {
	s := series{name: name, labels: render(labels)}
	c.mu.RLock()
	v, ok := c.values[s]
	c.mu.RUnlock()
	if !ok {
		c.mu.Lock()
		if v, ok = c.values[s]; !ok {
			v = new(atomic.Int64)
			c.values[s] = v
		}
		c.mu.Unlock()
	}
	v.Add(n)
}

// Get returns the value of name{labels}, 0 when never incremented.
func (c *Counters) Get(name string, labels ...string) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if v, ok := c.values[series{name: name, labels: render(labels)}]; ok {
		return v.Load()
	}
	return 0
}

// WritePrometheus writes every counter in the Prometheus text format.
func (c *Counters) WritePrometheus(w io.Writer, prefix string) error {
	type entry struct {
		series
		value int64
	}
	c.mu.RLock()
	entries := make([]entry, 0, len(c.values))
	for k, v := range c.values {
		entries = append(entries, entry{series: k, value: v.Load()})
	}
	c.mu.RUnlock()
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].name != entries[j].name {
			return entries[i].name < entries[j].name
		}
		return entries[i].labels < entries[j].labels
	})
	last := ""
	for _, e := range entries {
		name := prefix + e.name
		if name != last {
			if _, err := fmt.Fprintf(w, "# TYPE %s counter\n", name); err != nil {
				return err
			}
			last = name
		}
		if _, err := fmt.Fprintf(w, "%s{%s} %d\n", name, e.labels, e.value); err != nil {
			return err
		}
	}
	return nil
}

func render(labels []string) string {
	if len(labels)%2 != 0 {
		labels = append(labels, "")
	}
	pairs := make([]string, 0, len(labels)/2)
	for i := 0; i < len(labels); i += 2 {
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(labels[i+1])
		pairs = append(pairs, fmt.Sprintf(`%s="%s"`, labels[i], v))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

// Sum is the total of every counter called name, whatever its labels.
func (c *Counters) Sum(name string) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var total int64
	for s, v := range c.values {
		if s.name == name {
			total += v.Load()
		}
	}
	return total
}
