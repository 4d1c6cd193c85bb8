package rebuild

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/scripts/kafkaread"
	"github.com/activityapp/event-processor/scripts/poison"
	"github.com/activityapp/event-processor/shared/readmodel"
)

// Switched is what Switch did.
type Switched struct {
	// Previous are the collections that served the read models before:
	// DropStale drops them once readers that resolved before the switch
	// are done with them.
	Previous []string
	// Superseded are the live poison topic's entries the rebuild made
	// moot (their events were read again by the rebuild).
	Superseded int
	// Resolved are the rebuild poison topic's entries whose events no
	// blocked sequence waits for any more: the rebuild applied or dropped
	// them as it read the replays and drops the live projector had been
	// given. They are noted as superseded too.
	Resolved int
}

// resolvedInRebuild are the entries of p's rebuild poison topic, among
// pending, that no block of the rebuild waits for.
func resolvedInRebuild(ctx context.Context, db *mongo.Database, pending []poison.Entry, p Plan) ([]poison.Entry, error) {
	blocks, err := readmodel.NewBlocks(db, readmodel.Namer{RebuildSuffix: p.Suffix}, p.Service).All(ctx)
	if err != nil {
		return nil, err
	}
	waiting := map[[2]string]bool{}
	for _, b := range blocks {
		for _, o := range b.Parked {
			waiting[[2]string{b.Handler, o}] = true
		}
	}
	var out []poison.Entry
	for _, e := range pending {
		if e.At.Topic == p.RebuildPoisonTopic() && e.Key != nil && !waiting[[2]string{e.Handler, e.Origin}] {
			out = append(out, e)
		}
	}
	return out, nil
}

// Switch ends the rebuild p, once the live projector and the rebuild
// instance have both stopped and the rebuild is past where the live one
// stopped (WaitPast). It
//   - copies the statistics' contributions the rebuild published but did
//     not apply to the live increments topic, whose writer applies them to
//     the new collections (each once: the documents' watermarks skip any
//     applied already; whatever the live writer had not applied is older
//     than the watermarks too);
//   - points every read model at its new collection;
//   - gives the live group the rebuild group's offsets of the outbox topic;
//   - notes the live poison topic's entries not replayed yet as superseded
//     (the rebuild read their events again: replaying them would apply
//     them twice);
//   - deletes the rebuild's groups and increments topic.
//
// The rebuild's poison topic stays: its entries are the events the code of
// now cannot use, and those parked behind them; the entries of sequences
// the rebuild has released already are noted as superseded. The collections that served before stay until
// DropStale: a reader that resolved a read model just before the switch
// still reads them.
func Switch(ctx context.Context, db *mongo.Database, cl *kgo.Client, entries *poison.Tool, p Plan) (Switched, error) {
	var done Switched
	adm := kadm.NewClient(cl)
	groups := append(p.LiveGroups(), slicesKeys(p.RebuildGroups())...)
	if err := requireInactive(ctx, adm, groups...); err != nil {
		return done, err
	}
	want, err := committedOffsets(ctx, adm, p.Group, p.Topic)
	if err != nil {
		return done, err
	}
	have, err := committedOffsets(ctx, adm, p.RebuildGroup(), p.Topic)
	if err != nil {
		return done, err
	}
	for part, off := range want {
		if have[part] < off {
			return done, fmt.Errorf("rebuild: %s is at offset %d of %s/%d, behind the live group's %d: wait for it first (WaitPast)",
				p.RebuildGroup(), have[part], p.Topic, part, off)
		}
	}
	if p.statistics() {
		if err := drainIncrements(ctx, cl, adm, p); err != nil {
			return done, err
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
	// One reading of the service's entries serves both notes: the live
	// topic's entries from before, and the rebuild's own resolved ones.
	pending, err := entries.List(ctx, poison.Filter{Services: []string{p.Service}})
	if err != nil {
		return done, err
	}
	stale := slices.DeleteFunc(slices.Clone(pending), func(e poison.Entry) bool { return e.At.Topic != p.LivePoisonTopic() })
	resolved, err := resolvedInRebuild(ctx, db, pending, p)
	if err != nil {
		return done, err
	}
	if err := entries.Supersede(ctx, append(stale, resolved...), p.RebuildGroup()); err != nil {
		return done, err
	}
	done.Superseded = len(stale)
	done.Resolved = len(resolved)
	done.Previous = previous
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

// staleName matches a read model's own name and its rebuilds' names.
var staleName = regexp.MustCompile(`^(.+?)(_r[0-9]+)?$`)

// DropStale drops the collections of p's read models that no pointer
// names: the read model's own name and earlier rebuilds' collections, once
// it has been rebuilt. It returns what it dropped.
func DropStale(ctx context.Context, db *mongo.Database, p Plan) ([]string, error) {
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("rebuild: list collections: %w", err)
	}
	var dropped []string
	for _, model := range p.ReadModels {
		current, err := readmodel.Resolve(ctx, db, model)
		if err != nil {
			return dropped, err
		}
		for _, name := range names {
			m := staleName.FindStringSubmatch(name)
			if m == nil || m[1] != model || name == current {
				continue
			}
			if err := db.Collection(name).Drop(ctx); err != nil {
				return dropped, fmt.Errorf("rebuild: drop %s: %w", name, err)
			}
			dropped = append(dropped, name)
		}
	}
	return dropped, nil
}

// drainIncrements copies the rebuild's increments topic from its writer's
// committed offsets to the end onto the live increments topic, with keys,
// values and headers: the contributions published but not applied when
// the rebuild stopped. Each partition is copied in order, so every
// document's contributions stay in order.
func drainIncrements(ctx context.Context, cl *kgo.Client, adm *kadm.Client, p Plan) error {
	topic, group := p.IncrementsTopic(), p.RebuildGroup()+".increments"
	from, err := committedOffsets(ctx, adm, group, topic)
	if err != nil {
		return err
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("rebuild: end offsets of %s: %w", topic, err)
	}
	ranges := kafkaread.Ranges{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			ranges.Add(topic, o.Partition, from[o.Partition], o.Offset)
		}
	})
	var pending []*kgo.Record
	err = kafkaread.Read(ctx, cl.OptValue(kgo.SeedBrokers).([]string), ranges, func(r *kgo.Record) {
		pending = append(pending, &kgo.Record{Topic: p.LiveIncrementsTopic(), Key: r.Key, Value: r.Value, Headers: r.Headers})
	})
	if err != nil {
		return fmt.Errorf("rebuild: draining %s: %w", topic, err)
	}
	if len(pending) == 0 {
		return nil
	}
	if err := cl.ProduceSync(ctx, pending...).FirstErr(); err != nil {
		return fmt.Errorf("rebuild: copy %d contributions to %s: %w", len(pending), p.LiveIncrementsTopic(), err)
	}
	return nil
}
