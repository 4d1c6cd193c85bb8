package rebuild

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/scripts/poison"
	"github.com/activityapp/event-processor/shared/readmodel"
)

// Switched is what Switch did.
type Switched struct {
	// Dropped are the collections that served the read models before.
	Dropped []string
	// Superseded are the live poison topic's entries the rebuild made
	// moot (their events were read again by the rebuild).
	Superseded int
}

// Switch ends the rebuild p, once the live projector and the rebuild
// instance have both stopped and the rebuild has caught up (WaitCaughtUp):
// it points every read model at its new collection, gives the live group
// the rebuild group's offsets of the outbox topic, drops the collections
// that served before, and deletes the rebuild's groups and increments
// topic. Its poison topic is kept: its entries are the events poisoned by
// the code of now, for bin/poison. The entries of the live poison topic
// not replayed yet are noted as superseded by the rebuild: their events
// were read again, so replaying them would apply them twice.
//
// The live statistics' increments group keeps its position: whatever
// contributions it has not applied yet are older than the rebuilt
// documents' watermarks and are not counted again.
func Switch(ctx context.Context, db *mongo.Database, adm *kadm.Client, entries *poison.Tool, p Plan) (Switched, error) {
	var done Switched
	groups := append(p.LiveGroups(), slicesKeys(p.RebuildGroups())...)
	if err := requireInactive(ctx, adm, groups...); err != nil {
		return done, err
	}
	for g, topic := range p.RebuildGroups() {
		n, err := Lag(ctx, adm, g, topic)
		if err != nil {
			return done, err
		}
		if n > 0 {
			return done, fmt.Errorf("rebuild: group %s has %d records of %s still to handle: wait for it first", g, n, topic)
		}
	}
	// Readers first: from here on a live projector starting at its own,
	// older offsets would only handle some events again, into the new
	// collections, which changes nothing.
	var previous []string
	for _, model := range p.ReadModels {
		target := p.Collections()[model]
		prev, err := readmodel.Switch(ctx, db, model, target)
		if err != nil {
			return done, err
		}
		if prev != target {
			previous = append(previous, prev)
		}
	}
	if err := copyOffsets(ctx, adm, p.RebuildGroup(), p.Group, p.Topic); err != nil {
		return done, err
	}
	stale, err := entries.List(ctx, poison.Filter{Services: []string{p.Service}})
	if err != nil {
		return done, err
	}
	stale = slices.DeleteFunc(stale, func(e poison.Entry) bool { return e.At.Topic != p.LivePoisonTopic() })
	if err := entries.Supersede(ctx, stale, p.RebuildGroup()); err != nil {
		return done, err
	}
	done.Superseded = len(stale)
	for _, coll := range previous {
		if err := db.Collection(coll).Drop(ctx); err != nil {
			return done, fmt.Errorf("rebuild: drop %s: %w", coll, err)
		}
		done.Dropped = append(done.Dropped, coll)
	}
	if _, err := adm.DeleteGroups(ctx, slicesKeys(p.RebuildGroups())...); err != nil {
		return done, fmt.Errorf("rebuild: delete the rebuild's groups: %w", err)
	}
	if p.statistics() {
		if _, err := adm.DeleteTopics(ctx, p.IncrementsTopic()); err != nil {
			return done, fmt.Errorf("rebuild: delete %s: %w", p.IncrementsTopic(), err)
		}
	}
	return done, nil
}

func slicesKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
