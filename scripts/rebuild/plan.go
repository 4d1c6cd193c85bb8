// Package rebuild rebuilds a projector's read models without taking them
// from their readers: a second instance of the projector, in a consumer
// group of its own, reads the outbox topic from offset 0 into new
// collections while the old ones keep serving; once it has caught up, the
// live projector stops, the rebuild catches up with what came meanwhile and
// stops, and Switch points the read models at the new collections (one
// pointer document each, see readmodel.Resolve), hands the rebuild's
// position to the live consumer group and drops the old collections. The
// live projector then starts on the new collections where the rebuild
// stopped. Readers see the old read model, complete, until the switch, and
// the new one, complete, after it.
package rebuild

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/activityapp/event-processor/shared/readmodel"
)

// ReadModels are the read models of each projector, with its blocked
// sequences (readmodel.BlocksCollection): they are state of the
// projection, rebuilt and switched with it.
var ReadModels = map[string][]string{
	"user-projector":       {"users", readmodel.BlocksCollection("user-projector")},
	"activity-projector":   {"activities", readmodel.BlocksCollection("activity-projector")},
	"statistics-projector": {"daily_statistics", "user_statistics", readmodel.BlocksCollection("statistics-projector")},
}

// DefaultTopic is the outbox topic.
const DefaultTopic = "postgres.activity.event_outbox"

// Plan is one rebuild of one projector.
type Plan struct {
	Service    string
	ReadModels []string
	// Suffix names the rebuild: its collections are the read models'
	// names plus Suffix.
	Suffix string
	// Topic is the outbox topic; Group the live consumer group (the
	// service's name, as the projectors default to).
	Topic string
	Group string
}

// NewPlan plans a rebuild of service, named after now.
func NewPlan(service string, now time.Time) (Plan, error) {
	models, ok := ReadModels[service]
	if !ok {
		return Plan{}, fmt.Errorf("rebuild: unknown service %q (want one of %v)", service, services())
	}
	return Plan{Service: service, ReadModels: models, Suffix: "_r" + strconv.FormatInt(now.Unix(), 10),
		Topic: DefaultTopic, Group: service}, nil
}

// WithSuffix is the plan of the rebuild named suffix (a plan made before).
func (p Plan) WithSuffix(suffix string) Plan {
	p.Suffix = suffix
	return p
}

func services() []string {
	var out []string
	for s := range ReadModels {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// LivePoisonTopic is the live projector's poison topic (the default).
func (p Plan) LivePoisonTopic() string { return p.Service + ".poison" }

// RebuildPoisonTopic is the rebuild instance's poison topic.
func (p Plan) RebuildPoisonTopic() string { return p.RebuildGroup() + ".poison" }

// RebuildGroup is the rebuild instance's consumer group.
func (p Plan) RebuildGroup() string { return p.Service + ".rebuild" + p.Suffix }

// statistics is the one projector with a second topic of its own: its
// contributions go through an increments topic to its writer.
func (p Plan) statistics() bool { return p.Service == "statistics-projector" }

// LiveIncrementsTopic is the live statistics' increments topic (the
// default).
func (p Plan) LiveIncrementsTopic() string { return p.Service + ".increments" }

// IncrementsTopic is the rebuild's own increments topic (statistics only).
func (p Plan) IncrementsTopic() string { return p.RebuildGroup() + ".increments" }

// Env is what the rebuild instance adds to the projector's environment:
// its group, its collections, its poison topic and, for the statistics,
// its increments topic (the increments group follows the group).
func (p Plan) Env() []string {
	env := []string{
		"KAFKA_CONSUMER_GROUP=" + p.RebuildGroup(),
		"KAFKA_AUTO_OFFSET_RESET=earliest",
		"KAFKA_POISON_TOPIC=" + p.RebuildPoisonTopic(),
		"READ_MODEL_REBUILD_SUFFIX=" + p.Suffix,
	}
	if p.statistics() {
		env = append(env, "STATISTICS_INCREMENTS_TOPIC="+p.IncrementsTopic())
	}
	return env
}

// RebuildGroups are the rebuild instance's consumer groups and the topic
// each reads.
func (p Plan) RebuildGroups() map[string]string {
	g := map[string]string{p.RebuildGroup(): p.Topic}
	if p.statistics() {
		g[p.RebuildGroup()+".increments"] = p.IncrementsTopic()
	}
	return g
}

// LiveGroups are the live projector's consumer groups.
func (p Plan) LiveGroups() []string {
	g := []string{p.Group}
	if p.statistics() {
		g = append(g, p.Group+".increments")
	}
	return g
}

// Collections are the rebuild's new collections, by read model.
func (p Plan) Collections() map[string]string {
	out := map[string]string{}
	for _, m := range p.ReadModels {
		out[m] = m + p.Suffix
	}
	return out
}
