package stats

import (
	"maps"
	"time"

	"github.com/activityapp/event-processor/shared/projection"
)

// Document is one statistics document.
//
// Sources makes counting exactly once: for every outbox partition, the
// offset of the newest event the document has counted. The fan-out
// publishes a partition's contributions in offset order (one partition is
// handled in order, and the producer is idempotent, so a document's
// increments partition receives them in that order, without gaps); a
// contribution at or below its partition's watermark has been counted
// before, whether it comes again from a redelivery, a second instance
// during a rebalance, or a replay of the whole topic.
//
// An event replayed from a poison topic comes after its partition's
// watermark has moved past it; Replayed, the ids of the replayed events
// the document has counted, counts it exactly once instead.
type Document struct {
	ID       string
	Counters map[string]int64
	Latest   map[string]time.Time
	Identity map[string]string
	Sources  map[int32]int64
	Replayed map[string]bool
}

// Absorb adds c to d unless d has counted it already, and reports whether
// it did.
func (d *Document) Absorb(c Contribution) bool {
	if c.Replay {
		if d.Replayed[c.EventID] {
			return false
		}
		if d.Replayed == nil {
			d.Replayed = map[string]bool{}
		}
		d.Replayed[c.EventID] = true
	} else {
		if off, ok := d.Sources[c.Source.Partition]; ok && c.Source.Offset <= off {
			return false
		}
		if d.Sources == nil {
			d.Sources = map[int32]int64{}
		}
		d.Sources[c.Source.Partition] = c.Source.Offset
	}
	if d.Sources == nil {
		d.Sources = map[int32]int64{}
	}
	if d.Counters == nil {
		d.Counters = map[string]int64{}
	}
	if d.Latest == nil {
		d.Latest = map[string]time.Time{}
	}
	if d.Identity == nil {
		d.Identity = map[string]string{}
	}
	for k, v := range c.Identity {
		if _, ok := d.Identity[k]; !ok {
			d.Identity[k] = v
		}
	}
	for k, n := range c.Inc {
		d.Counters[k] += n
	}
	for k, t := range c.Max {
		if t = projection.Time(t); t.After(d.Latest[k]) {
			d.Latest[k] = t
		}
	}
	return true
}

// Clone is a deep copy of d.
func (d Document) Clone() Document {
	d.Counters, d.Latest = maps.Clone(d.Counters), maps.Clone(d.Latest)
	d.Identity, d.Sources, d.Replayed = maps.Clone(d.Identity), maps.Clone(d.Sources), maps.Clone(d.Replayed)
	return d
}
