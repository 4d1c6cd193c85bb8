// Command capture copies records from Kafka topics into JSON files, one per
// record, as test fixtures: what the real Debezium connector wrote, byte for
// byte (value and key as strings, null kept as null).
//
//	capture -brokers localhost:29092 -out shared/debezium/testdata/captured \
//	    -topic postgres.activity.event_outbox -name create -n 1
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Record is a captured Kafka record.
type Record struct {
	Topic     string            `json:"topic"`
	Partition int32             `json:"partition"`
	Offset    int64             `json:"offset"`
	Key       *string           `json:"key"`
	Value     *string           `json:"value"`
	Headers   map[string]string `json:"headers,omitempty"`
}

func main() {
	brokers := flag.String("brokers", "localhost:29092", "Kafka bootstrap server")
	topic := flag.String("topic", "postgres.activity.event_outbox", "topic to read from the beginning")
	out := flag.String("out", ".", "directory for the files")
	name := flag.String("name", "record", "file name prefix")
	n := flag.Int("n", 1, "how many records")
	skip := flag.Int("skip", 0, "records to pass over first")
	timeout := flag.Duration("timeout", 20*time.Second, "how long to wait for them")
	flag.Parse()

	client, err := kgo.NewClient(kgo.SeedBrokers(*brokers), kgo.ConsumeTopics(*topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		fail(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	seen, written := 0, 0
	for written < *n {
		fetches := client.PollFetches(ctx)
		if ctx.Err() != nil {
			fail(fmt.Errorf("%d of %d records from %s within %v", written, *n, *topic, *timeout))
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if written >= *n {
				return
			}
			seen++
			if seen <= *skip {
				return
			}
			rec := Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Headers: map[string]string{}}
			if r.Key != nil {
				k := string(r.Key)
				rec.Key = &k
			}
			if r.Value != nil {
				v := string(r.Value)
				rec.Value = &v
			}
			for _, h := range r.Headers {
				rec.Headers[h.Key] = string(h.Value)
			}
			b, err := json.MarshalIndent(rec, "", "  ")
			if err != nil {
				fail(err)
			}
			written++
			path := filepath.Join(*out, fmt.Sprintf("%s_%d.json", *name, written))
			if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
				fail(err)
			}
			fmt.Println(path)
		})
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "capture:", err)
	os.Exit(1)
}
