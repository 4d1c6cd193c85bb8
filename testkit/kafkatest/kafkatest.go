// Package kafkatest runs an in-process Kafka cluster for tests.
//
// The cluster is franz-go's kfake: three fake brokers on 127.0.0.1 that speak
// the real Kafka protocol, so sarama (and with it watermill-kafka) talks to
// them without a version override, consumer groups and offset commits
// included. It starts in milliseconds and keeps everything in memory, which
// makes it right for integration tests of routers and middleware; end-to-end
// tests and benchmarks should use a real Kafka.
package kafkatest

import (
	"context"
	"errors"
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// VerboseEnv set to 1 makes the fake brokers log requests to stderr.
const VerboseEnv = "TESTKIT_VERBOSE"

// requestTimeout bounds each Produce and CommittedOffsets call.
const requestTimeout = 10 * time.Second

// Cluster is a running fake Kafka cluster with a client for the helpers.
type Cluster struct {
	fake    *kfake.Cluster
	brokers []string
	client  *kgo.Client // producer and admin connection
	admin   *kadm.Client
}

// Start starts a cluster with the given topics, each with the given number
// of partitions, and closes it when t's test ends. Topics that are not
// listed are created on first use with the same number of partitions, as
// Kafka does with auto.create.topics.enable.
func Start(t testing.TB, partitions int, topics ...string) *Cluster {
	t.Helper()
	if partitions < 1 {
		t.Fatalf("kafkatest.Start: partitions = %d, want at least 1", partitions)
	}

	opts := []kfake.Opt{
		kfake.DefaultNumPartitions(partitions),
		kfake.AllowAutoTopicCreation(),
	}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(partitions), topics...))
	}
	if os.Getenv(VerboseEnv) == "1" {
		opts = append(opts, kfake.WithLogger(kfake.BasicLogger(os.Stderr, kfake.LogLevelInfo)))
	}
	fake, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kafkatest: start kfake cluster: %v", err)
	}
	c := &Cluster{fake: fake, brokers: fake.ListenAddrs()}
	t.Cleanup(c.close)

	c.client, err = kgo.NewClient(
		kgo.SeedBrokers(c.brokers...),
		kgo.AllowAutoTopicCreation(),
		// Pick up auto-created topics quickly instead of after 5 s.
		kgo.MetadataMinAge(50*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("kafkatest: create client for %v: %v", c.brokers, err)
	}
	c.admin = kadm.NewClient(c.client)
	return c
}

func (c *Cluster) close() {
	if c.client != nil {
		c.client.Close()
	}
	c.fake.Close()
}

// Brokers returns the bootstrap addresses (host:port) of the brokers.
func (c *Cluster) Brokers() []string { return slices.Clone(c.brokers) }

// Produce writes one record and waits for its acknowledgement, failing t
// if that does not succeed. A record with a key is partitioned like the Java
// client (and Kafka Connect/Debezium) does: murmur2 of the key. Note that
// sarama, and so watermill-kafka, hashes keys with FNV-1a by default, so the
// same key may land on another partition when the application publishes it.
func (c *Cluster) Produce(t testing.TB, topic string, key, value []byte, headers map[string]string) {
	t.Helper()
	rec := &kgo.Record{Topic: topic, Key: key, Value: value}
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(headers[k])})
	}

	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if err := c.client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatalf("kafkatest: produce to topic %q: %v", topic, err)
	}
}

// Consume reads topic from its first offset, outside any consumer group (so
// no offsets are committed), until it has n records, and returns them. It
// fails t if fewer than n arrive within timeout. Records are ordered within a
// partition only.
func (c *Cluster) Consume(t testing.TB, topic string, n int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.MetadataMinAge(50*time.Millisecond),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("kafkatest: create consumer for topic %q: %v", topic, err)
	}
	defer cl.Close()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	records := make([]*kgo.Record, 0, n)
	for len(records) < n {
		fetches := cl.PollRecords(ctx, n-len(records))
		if ctx.Err() != nil {
			t.Fatalf("kafkatest: consumed %d of %d records from topic %q within %v", len(records), n, topic, timeout)
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			t.Logf("kafkatest: fetch from %s/%d: %v (retrying)", topic, partition, err)
		})
		records = append(records, fetches.Records()...)
	}
	return records[:n]
}

// CommittedOffsets returns the offsets group has committed for topic, by
// partition. A committed offset is the next one the group will read, so after
// consuming offsets 0..9 of a partition it is 10. Partitions without a commit
// are absent; for an unknown group the map is empty.
func (c *Cluster) CommittedOffsets(t testing.TB, group, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	resp, err := c.admin.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		// kfake answers so for a group that never joined; Kafka returns
		// an empty list.
		return map[int32]int64{}
	}
	if err != nil {
		t.Fatalf("kafkatest: fetch committed offsets of group %q: %v", group, err)
	}
	offsets := make(map[int32]int64)
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic != topic {
			return
		}
		if o.Err != nil {
			t.Fatalf("kafkatest: committed offset of group %q for %s/%d: %v", group, topic, o.Partition, o.Err)
		}
		offsets[o.Partition] = o.At
	})
	return offsets
}
