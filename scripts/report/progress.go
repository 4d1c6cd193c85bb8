package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Consumer is a consumer group and the topic it reads.
type Consumer struct {
	Group string `json:"group"`
	Topic string `json:"topic"`
	// Label names the consumer in tables and charts.
	Label string `json:"label"`
	// Unit is what the topic's records are.
	Unit string `json:"unit"`
}

// Pipeline is the stack's consumers, as docker-compose.yml configures them:
// each projector's group on the outbox topic, and the statistics writers'
// group on the increments topic.
func Pipeline(outboxTopic string) []Consumer {
	return []Consumer{
		{Group: "user-projector", Topic: outboxTopic, Label: "user-projector", Unit: "events"},
		{Group: "activity-projector", Topic: outboxTopic, Label: "activity-projector", Unit: "events"},
		{Group: "statistics-projector", Topic: outboxTopic, Label: "statistics fan-out", Unit: "events"},
		{Group: "statistics-projector.increments", Topic: "statistics-projector.increments", Label: "statistics writer", Unit: "contributions"},
	}
}

// PoisonTopics are the projectors' dead-letter topics.
var PoisonTopics = []string{"user-projector.poison", "activity-projector.poison", "statistics-projector.poison"}

// Position is how far a group has got through its topic: the sum over
// partitions of its committed offsets and of the topic's end offsets.
type Position struct {
	Committed int64 `json:"committed"`
	End       int64 `json:"end"`
	// Lag is the records not yet committed, summed per partition.
	Lag int64 `json:"lag"`
}

// Sample is every consumer's position, and every poison topic's size, at
// one moment.
type Sample struct {
	At        time.Time           `json:"at"`
	Consumers map[string]Position `json:"consumers"`
	Poisoned  map[string]int64    `json:"poisoned"`
}

// CaughtUp reports whether every consumer has committed everything.
func (s Sample) CaughtUp() bool {
	for _, p := range s.Consumers {
		if p.Lag > 0 {
			return false
		}
	}
	return true
}

// Tracker samples consumer progress through Kafka's admin API: the
// projectors commit offsets only after a message is handled (and
// auto-commit them every second), so committed offsets count handled
// events, at one second's resolution.
type Tracker struct {
	client    *kgo.Client
	admin     *kadm.Client
	consumers []Consumer
	poison    []string
}

// NewTracker connects to brokers.
func NewTracker(brokers []string, consumers []Consumer, poisonTopics []string) (*Tracker, error) {
	if len(brokers) == 0 {
		return nil, errors.New("report: no Kafka brokers")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, fmt.Errorf("report: kafka client: %w", err)
	}
	return &Tracker{client: cl, admin: kadm.NewClient(cl), consumers: consumers, poison: poisonTopics}, nil
}

// Close closes the Kafka client.
func (t *Tracker) Close() { t.client.Close() }

// Sample reads every consumer's position and the poison topics' sizes.
func (t *Tracker) Sample(ctx context.Context) (Sample, error) {
	topics := map[string]bool{}
	for _, c := range t.consumers {
		topics[c.Topic] = true
	}
	for _, p := range t.poison {
		topics[p] = true
	}
	names := make([]string, 0, len(topics))
	for name := range topics {
		names = append(names, name)
	}
	ends, err := t.admin.ListEndOffsets(ctx, names...)
	if err != nil {
		return Sample{}, fmt.Errorf("report: end offsets: %w", err)
	}
	s := Sample{At: time.Now(), Consumers: map[string]Position{}, Poisoned: map[string]int64{}}
	for _, p := range t.poison {
		n, err := sumEnds(ends, p)
		if err != nil {
			return Sample{}, err
		}
		s.Poisoned[p] = n
	}
	for _, c := range t.consumers {
		committed, err := t.admin.FetchOffsets(ctx, c.Group)
		if errors.Is(err, kerr.GroupIDNotFound) {
			err = nil // not started yet: nothing committed
		}
		if err != nil {
			return Sample{}, fmt.Errorf("report: offsets of group %s: %w", c.Group, err)
		}
		var pos Position
		var eachErr error
		ends.Each(func(o kadm.ListedOffset) {
			if o.Topic != c.Topic {
				return
			}
			if o.Err != nil {
				eachErr = errors.Join(eachErr, fmt.Errorf("report: end offset %s/%d: %w", o.Topic, o.Partition, o.Err))
				return
			}
			var at int64
			if r, ok := committed.Lookup(o.Topic, o.Partition); ok && r.Err == nil && r.At > 0 {
				at = r.At
			}
			pos.Committed += at
			pos.End += o.Offset
			pos.Lag += max(o.Offset-at, 0)
		})
		if eachErr != nil {
			return Sample{}, eachErr
		}
		s.Consumers[c.Group] = pos
	}
	return s, nil
}

// sumEnds is the size of topic, 0 while it does not exist (a poison topic
// appears with its first record).
func sumEnds(ends kadm.ListedOffsets, topic string) (int64, error) {
	var n int64
	var err error
	ends.Each(func(o kadm.ListedOffset) {
		switch {
		case o.Topic != topic:
		case errors.Is(o.Err, kerr.UnknownTopicOrPartition):
		case o.Err != nil:
			err = fmt.Errorf("report: end offset %s/%d: %w", o.Topic, o.Partition, o.Err)
		default:
			n += o.Offset
		}
	})
	return n, err
}

// Record samples every interval until ctx ends, and returns the samples
// (a failed sample is skipped: the stack is being measured, not judged,
// here; WaitCaughtUp reports errors).
func (t *Tracker) Record(ctx context.Context, interval time.Duration) []Sample {
	var samples []Sample
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if s, err := t.Sample(ctx); err == nil {
			samples = append(samples, s)
		}
		select {
		case <-ctx.Done():
			return samples
		case <-tick.C:
		}
	}
}
