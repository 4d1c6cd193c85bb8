// Package kafkaread reads given ranges of Kafka partitions, outside any
// consumer group: the tools that look at a topic's records (poison
// entries, a rebuild's pending contributions) without taking part in it.
package kafkaread

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Range is the offsets [From, To) of one partition.
type Range struct{ From, To int64 }

// Ranges are ranges by topic and partition.
type Ranges map[string]map[int32]Range

// Add sets the range of topic's partition; an empty one is left out.
func (rs Ranges) Add(topic string, partition int32, from, to int64) {
	if from >= to {
		return
	}
	if rs[topic] == nil {
		rs[topic] = map[int32]Range{}
	}
	rs[topic][partition] = Range{From: from, To: to}
}

// Read calls fn with every record of ranges, in offset order within each
// partition, and returns once every range is read.
func Read(ctx context.Context, brokers []string, ranges Ranges, fn func(*kgo.Record)) error {
	consume := map[string]map[int32]kgo.Offset{}
	remaining := map[string]map[int32]int64{} // the end of each range still to read
	for topic, parts := range ranges {
		for p, r := range parts {
			if consume[topic] == nil {
				consume[topic], remaining[topic] = map[int32]kgo.Offset{}, map[int32]int64{}
			}
			consume[topic][p] = kgo.NewOffset().At(r.From)
			remaining[topic][p] = r.To
		}
	}
	if len(consume) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumePartitions(consume))
	if err != nil {
		return fmt.Errorf("kafkaread: %w", err)
	}
	defer cl.Close()
	for len(remaining) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("kafkaread: %w", err)
		}
		var ferr error
		fetches.EachError(func(topic string, p int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("%s/%d: %w", topic, p, err))
		})
		if ferr != nil {
			return fmt.Errorf("kafkaread: %w", ferr)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := remaining[r.Topic][r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			fn(r)
			if r.Offset+1 >= end {
				delete(remaining[r.Topic], r.Partition)
				if len(remaining[r.Topic]) == 0 {
					delete(remaining, r.Topic)
				}
			}
		})
	}
	return nil
}
