// Package servicetest runs a wired projector in a test, the way main does,
// against an in-process Kafka (testkit/kafkatest) and a database from
// testkit/mongotest, and gives the tests of every service the same tools:
// produce Debezium records, wait until they are processed, read documents
// and the poison queue, build event streams.
package servicetest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/debezium/debeziumtest"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/shared/router"
	"github.com/activityapp/event-processor/shared/service"
	"github.com/activityapp/event-processor/testkit/kafkatest"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

// Topic is the outbox topic the services read by default.
const Topic = config.DefaultTopic

// WaitTimeout bounds every wait for a projector.
const WaitTimeout = 30 * time.Second

// Service is one projector under test.
type Service struct {
	Name   string
	Kafka  *kafkatest.Cluster
	DB     *mongo.Database
	inject service.Injector
	env    map[string]string
	runner *service.Runner

	// Produced counts the records written to the outbox topic.
	Produced int
	stop     func()
}

// Options configure Start. Kafka and DB default to a new cluster with 12
// partitions and a new database; Env adds or overrides variables.
type Options struct {
	Kafka *kafkatest.Cluster
	DB    *mongo.Database
	Env   map[string]string
}

// Start runs service, wired by inject, and stops it when t ends.
func Start(t *testing.T, service string, inject service.Injector, opts Options) *Service {
	t.Helper()
	s := &Service{Name: service, Kafka: opts.Kafka, DB: opts.DB, inject: inject, env: opts.Env}
	if s.Kafka == nil {
		s.Kafka = kafkatest.Start(t, 12, Topic)
	}
	if s.DB == nil {
		s.DB = mongotest.Database(t)
	}
	s.stop = s.Run(t)
	return s
}

// Run starts the service (again) as main would, through its wire injector,
// and returns a function that stops it, also called when t ends.
func (s *Service) Run(t *testing.T) (stop func()) {
	t.Helper()
	vars := map[string]string{
		"KAFKA_BROKERS":          strings.Join(s.Kafka.Brokers(), ","),
		"MONGODB_URI":            mongotest.URI(t),
		"MONGODB_DATABASE":       s.DB.Name(),
		"HTTP_ADDR":              "127.0.0.1:0",
		"LOG_LEVEL":              "error",
		"RETRY_INITIAL_INTERVAL": "10ms",
		"HANDLER_TIMEOUT":        "4s",
		"CLOSE_TIMEOUT":          "5s",
	}
	for k, v := range s.env {
		vars[k] = v
	}
	cfg, env, err := config.LoadFrom(s.Name, config.MapLookup(vars))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	runner, cleanup, err := s.inject(ctx, cfg, env)
	if err != nil {
		cancel()
		t.Fatalf("%s: wiring: %v", s.Name, err)
	}
	s.runner = runner
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(t, err, "%s stops cleanly", s.Name)
			case <-time.After(WaitTimeout):
				t.Errorf("%s did not stop within %v", s.Name, WaitTimeout)
			}
			cleanup()
		})
	}
	t.Cleanup(stop)
	return stop
}

// Metrics gathers the metrics the running service serves on /metrics, read
// back from the text it serves.
func (s *Service) Metrics(t testing.TB) prometheus.Gatherer {
	t.Helper()
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		rec := httptest.NewRecorder()
		s.runner.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			return nil, fmt.Errorf("GET /metrics: %d %s", rec.Code, rec.Body)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(rec.Body)
		if err != nil {
			return nil, err
		}
		out := make([]*dto.MetricFamily, 0, len(families))
		for _, f := range families {
			out = append(out, f)
		}
		return out, nil
	})
}

// Stop stops the service started by Start.
func (s *Service) Stop() { s.stop() }

// Restart stops the service and starts it again on the same Kafka cluster
// and database.
func (s *Service) Restart(t *testing.T) {
	t.Helper()
	s.stop()
	s.stop = s.Run(t)
}

// Produce writes evs to the outbox topic as Debezium would.
func (s *Service) Produce(t *testing.T, evs ...outbox.Event) {
	t.Helper()
	for _, ev := range evs {
		s.ProduceRaw(t, debeziumtest.Key(ev), debeziumtest.Envelope(ev))
	}
}

// ProduceRaw writes one record to the outbox topic.
func (s *Service) ProduceRaw(t *testing.T, key, value []byte) {
	t.Helper()
	s.Kafka.Produce(t, Topic, key, value, nil)
	s.Produced++
}

// WaitProcessed waits until the service's consumer group has committed
// every record produced so far, and returns the committed offsets.
// Offsets are committed only after a message is acknowledged, that is
// after its writes (or its poison-queue publication) completed.
func (s *Service) WaitProcessed(t *testing.T) map[int32]int64 {
	t.Helper()
	return WaitCommitted(t, s.Kafka, s.Name, Topic, int64(s.Produced))
}

// WaitCommitted waits until group has committed n records of topic in all,
// and returns the committed offsets.
func WaitCommitted(t *testing.T, cluster *kafkatest.Cluster, group, topic string, n int64) map[int32]int64 {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		offsets := cluster.CommittedOffsets(t, group, topic)
		total := int64(0)
		for _, o := range offsets {
			total += o
		}
		if total == n {
			return offsets
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s committed %d of %d records of %s within %v: %v", group, total, n, topic, WaitTimeout, offsets)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Poisoned reads n records of the service's poison topic, by key, each as
// its value and headers.
func (s *Service) Poisoned(t *testing.T, n int) []PoisonRecord {
	t.Helper()
	var out []PoisonRecord
	for _, rec := range s.Kafka.Consume(t, s.Name+".poison", n, WaitTimeout) {
		out = append(out, poisonRecord(rec))
	}
	return out
}

// PoisonRecord is a record of a poison topic.
type PoisonRecord struct {
	Key, Value []byte
	Headers    map[string]string
}

func poisonRecord(rec *kgo.Record) PoisonRecord {
	p := PoisonRecord{Key: rec.Key, Value: rec.Value, Headers: map[string]string{}}
	for _, h := range rec.Headers {
		p.Headers[h.Key] = string(h.Value)
	}
	return p
}

// Poison is a record expected on the poison topic.
type Poison struct {
	Key, Value []byte
	// Reason is a part of reason_poisoned.
	Reason string
	// Parked says the record is fine but waits behind a poisoned record
	// of its aggregate (router.ParkedBehindKey).
	Parked bool
}

// ExpectPoisoned checks that exactly want reached the service's poison
// topic, each with its original key and value (so it can be replayed), a
// reason naming the problem, the router handler and the source topic.
func (s *Service) ExpectPoisoned(t *testing.T, handler string, want ...Poison) {
	t.Helper()
	got := s.Poisoned(t, len(want))
	require.Len(t, got, len(want), "one poison record per bad or parked record, keyed like it")
	for _, w := range want {
		i := slices.IndexFunc(got, func(r PoisonRecord) bool { return bytes.Equal(r.Key, w.Key) && bytes.Equal(r.Value, w.Value) })
		require.GreaterOrEqual(t, i, 0, "no poison record with key %s and value %s", w.Key, w.Value)
		rec := got[i]
		assert.Contains(t, rec.Headers["reason_poisoned"], w.Reason)
		assert.Equal(t, handler, rec.Headers["handler_poisoned"])
		assert.Equal(t, Topic, rec.Headers["topic_poisoned"])
		assert.Equal(t, w.Parked, rec.Headers[router.ParkedBehindKey] != "", "%s parked", w.Key)
	}
}

// Blocks are the service's blocked sequences, as it keeps them.
func (s *Service) Blocks(t *testing.T) []router.Block {
	t.Helper()
	blocks, err := readmodel.NewBlocks(s.DB, readmodel.Namer{}, s.Name).All(t.Context())
	require.NoError(t, err)
	return blocks
}
