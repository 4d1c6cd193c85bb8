package poison

import (
	"cmp"
	"slices"
)

// A projector parks the events of an aggregate (a record key) that come
// after a poisoned one (router.ParkedBehindKey), and applies the
// aggregate's replayed events only in the order they were first read. So
// an entry is replayed with the rest of its sequence.

// Sequences is what replaying selected takes: each selected entry, with
// the entries of pending (those not replayed yet) of the same service and
// key, one replay per event (the latest copy; Covered lists the others),
// in the order the events were first read.
func Sequences(selected, pending []Entry) []Replaying {
	type sequence struct{ service, key string }
	wanted := map[sequence]bool{}
	for _, e := range selected {
		if e.Key != nil {
			wanted[sequence{e.Service, string(e.Key)}] = true
		}
	}
	type event struct{ service, origin string }
	byEvent := map[event]*Replaying{}
	var order []event
	add := func(e Entry) {
		k := event{e.Service, e.Origin}
		r, ok := byEvent[k]
		switch {
		case !ok:
			byEvent[k] = &Replaying{Entry: e}
			order = append(order, k)
		case r.Entry.ID == e.ID || slices.ContainsFunc(r.Covered, func(c Entry) bool { return c.ID == e.ID }):
		case e.Time.After(r.Entry.Time):
			r.Covered = append(r.Covered, r.Entry)
			r.Entry = e
		default:
			r.Covered = append(r.Covered, e)
		}
	}
	for _, e := range selected {
		add(e)
	}
	for _, e := range pending {
		if e.Key != nil && e.Replayed == nil && wanted[sequence{e.Service, string(e.Key)}] {
			add(e)
		}
	}
	out := make([]Replaying, len(order))
	for i, k := range order {
		out[i] = *byEvent[k]
	}
	slices.SortStableFunc(out, func(a, b Replaying) int {
		pa, _ := ParsePosition(a.Entry.Origin)
		pb, _ := ParsePosition(b.Entry.Origin)
		return cmp.Or(cmp.Compare(a.Entry.Service, b.Entry.Service), cmp.Compare(pa.Topic, pb.Topic),
			cmp.Compare(pa.Partition, pb.Partition), cmp.Compare(pa.Offset, pb.Offset))
	})
	return out
}

// Replaying is one event to replay: the entry whose record is sent, and
// the other entries of the same event, noted as replayed with it.
type Replaying struct {
	Entry   Entry
	Covered []Entry
}
