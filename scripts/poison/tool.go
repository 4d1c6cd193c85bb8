package poison

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activityapp/event-processor/scripts/kafkaread"
	"github.com/activityapp/event-processor/shared/router"
)

// Tool reads and replays poison topics on one Kafka cluster.
type Tool struct {
	brokers []string
	cl      *kgo.Client
	adm     *kadm.Client
	now     func() time.Time
}

// New connects to brokers. Close the tool when done.
func New(brokers []string) (*Tool, error) {
	// Records are flushed by hand (produce), a batch at most as large as
	// the outbox topic's max.message.bytes.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ManualFlushing(), kgo.ProducerBatchMaxBytes(8<<20),
		kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		return nil, fmt.Errorf("poison: kafka %v: %w", brokers, err)
	}
	return &Tool{brokers: brokers, cl: cl, adm: kadm.NewClient(cl), now: time.Now}, nil
}

// Close disconnects.
func (t *Tool) Close() { t.cl.Close() }

// Filter selects entries. Empty fields select everything.
type Filter struct {
	// Services keeps the entries of these services.
	Services []string
	// Reason keeps the entries whose reason contains it.
	Reason string
	// EventType keeps the entries of this event type.
	EventType string
	// IDs keeps these entries (by ID or event id).
	IDs []string
	// Replayed also keeps the entries replayed before.
	Replayed bool
}

func (f Filter) keeps(e Entry) bool {
	switch {
	case len(f.Services) > 0 && !slices.Contains(f.Services, e.Service):
	case f.Reason != "" && !strings.Contains(e.Reason, f.Reason):
	case f.EventType != "" && e.EventType != f.EventType:
	case len(f.IDs) > 0 && !slices.Contains(f.IDs, e.ID) && (e.EventID == "" || !slices.Contains(f.IDs, e.EventID)):
	case e.Replayed != nil && !f.Replayed:
	default:
		return true
	}
	return false
}

// Topics are the poison topics of the cluster, sorted.
func (t *Tool) Topics(ctx context.Context) ([]string, error) {
	topics, err := t.adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("poison: list topics: %w", err)
	}
	var out []string
	for _, name := range topics.Names() {
		if strings.HasSuffix(name, TopicSuffix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// List reads every poison topic to its end and returns the entries f
// keeps, oldest first per topic.
func (t *Tool) List(ctx context.Context, f Filter) ([]Entry, error) {
	topics, err := t.Topics(ctx)
	if err != nil {
		return nil, err
	}
	replays, err := t.replays(ctx)
	if err != nil {
		return nil, err
	}
	var out []Entry
	err = t.readAll(ctx, topics, func(r *kgo.Record) {
		at := Position{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
		e := entryFrom(at, r.Timestamp, r.Key, r.Value, headerMap(r.Headers))
		if rp, ok := replays[e.ID]; ok {
			e.Replayed = &rp
		}
		if f.keeps(e) {
			out = append(out, e)
		}
	})
	return out, err
}

// replays are the notes of ReplayedTopic by entry ID, the last one of each.
func (t *Tool) replays(ctx context.Context) (map[string]Replay, error) {
	out := map[string]Replay{}
	err := t.readAll(ctx, []string{ReplayedTopic}, func(r *kgo.Record) {
		var rp Replay
		if r.Value == nil {
			delete(out, string(r.Key))
			return
		}
		if json.Unmarshal(r.Value, &rp) == nil {
			out[string(r.Key)] = rp
		}
	})
	return out, err
}

// readAll calls fn with every record of topics, from their start to the end
// they have now. A topic that does not exist has no records.
func (t *Tool) readAll(ctx context.Context, topics []string, fn func(*kgo.Record)) error {
	if len(topics) == 0 {
		return nil
	}
	starts, err := t.adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("poison: offsets of %v: %w", topics, err)
	}
	ends, err := t.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("poison: offsets of %v: %w", topics, err)
	}
	ranges := kafkaread.Ranges{}
	var errs []error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			if !errors.Is(o.Err, errUnknownTopic) {
				errs = append(errs, fmt.Errorf("%s/%d: %w", o.Topic, o.Partition, o.Err))
			}
			return
		}
		if start, ok := starts.Lookup(o.Topic, o.Partition); ok && start.Err == nil {
			ranges.Add(o.Topic, o.Partition, start.Offset, o.Offset)
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("poison: %w", errors.Join(errs...))
	}
	if err := kafkaread.Read(ctx, t.brokers, ranges, fn); err != nil {
		return fmt.Errorf("poison: reading %v: %w", topics, err)
	}
	return nil
}

// Replayed is what Replay did with one entry.
type Replayed struct {
	Entry Entry
	To    Position
	// Covered are other entries of the same event, noted as replayed too.
	Covered []Entry
	// Dropped says a drop record was written instead of the record.
	Dropped bool
}

// Replay writes each entry's record back to the topic it was poisoned
// from, with its key, value and headers, for its service only, and notes
// the replay. Each entry brings the rest of its sequence (Sequences): the
// service's entries of the same aggregate not replayed yet, in the order
// they were first read, so a projector that parked them behind a poisoned
// event applies them and releases the aggregate. They are written in one
// batch per partition, so no new event of the aggregate gets between
// them. A record that is replayed twice is handled twice: the projections
// are idempotent, so that changes nothing.
func (t *Tool) Replay(ctx context.Context, entries []Entry) ([]Replayed, error) {
	return t.send(ctx, entries, false)
}

// Drop gives up on entries whose events will never apply (an event that
// is invalid as written): instead of each one's record it writes a drop
// record (router.DropKey), which takes the event out of its aggregate's
// block, and then replays the rest of its sequence as Replay does. Dropped
// entries are noted as such and hidden.
func (t *Tool) Drop(ctx context.Context, entries []Entry) ([]Replayed, error) {
	return t.send(ctx, entries, true)
}

func (t *Tool) send(ctx context.Context, entries []Entry, drop bool) ([]Replayed, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	var services []string
	dropped := map[string]bool{}
	for _, e := range entries {
		if e.From.Topic == "" || e.Service == "" {
			return nil, fmt.Errorf("poison: %s: the entry does not say where it was poisoned from (topic_poisoned, handler_poisoned)", e.ID)
		}
		if !slices.Contains(services, e.Service) {
			services = append(services, e.Service)
		}
		dropped[e.Service+" "+e.Origin] = drop
	}
	pending, err := t.List(ctx, Filter{Services: services})
	if err != nil {
		return nil, err
	}
	if err := t.ensureReplayedTopic(ctx); err != nil {
		return nil, err
	}
	replaying := Sequences(entries, pending)
	recs := make([]*kgo.Record, len(replaying))
	for i, r := range replaying {
		e := r.Entry
		headers := e.replayHeaders()
		recs[i] = &kgo.Record{Topic: e.From.Topic, Key: e.Key, Value: e.Value}
		if dropped[e.Service+" "+e.Origin] {
			headers = map[string]string{router.ReplayOfKey: e.ID, router.ReplayForKey: e.Service, router.DropKey: e.Origin}
			recs[i].Value = nil
		}
		for k, v := range headers {
			recs[i].Headers = append(recs[i].Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
		slices.SortFunc(recs[i].Headers, func(a, b kgo.RecordHeader) int { return strings.Compare(a.Key, b.Key) })
	}
	if err := t.produce(ctx, recs...); err != nil {
		return nil, fmt.Errorf("poison: replay: %w", err)
	}
	done := make([]Replayed, len(replaying))
	var notes []*kgo.Record
	for i, r := range replaying {
		to := Position{Topic: recs[i].Topic, Partition: recs[i].Partition, Offset: recs[i].Offset}
		d := dropped[r.Entry.Service+" "+r.Entry.Origin]
		done[i] = Replayed{Entry: r.Entry, To: to, Covered: r.Covered, Dropped: d}
		note, _ := json.Marshal(Replay{At: t.now().UTC(), To: to, Dropped: d}) // a struct of plain fields
		for _, e := range append([]Entry{r.Entry}, r.Covered...) {
			notes = append(notes, &kgo.Record{Topic: ReplayedTopic, Key: []byte(e.ID), Value: note})
		}
	}
	if err := t.produce(ctx, notes...); err != nil {
		return done, fmt.Errorf("poison: note the replays (the records were replayed): %w", err)
	}
	return done, nil
}

// Supersede notes entries as made moot by the rebuild by: a rebuild reads
// every event's original record again, so a later replay of an entry from
// before it would apply the event twice. list hides them from then on, as
// replayed ones.
func (t *Tool) Supersede(ctx context.Context, entries []Entry, by string) error {
	if len(entries) == 0 {
		return nil
	}
	if err := t.ensureReplayedTopic(ctx); err != nil {
		return err
	}
	recs := make([]*kgo.Record, len(entries))
	for i, e := range entries {
		note, _ := json.Marshal(Replay{At: t.now().UTC(), SupersededBy: by}) // a struct of plain fields
		recs[i] = &kgo.Record{Topic: ReplayedTopic, Key: []byte(e.ID), Value: note}
	}
	if err := t.produce(ctx, recs...); err != nil {
		return fmt.Errorf("poison: note %d entries as superseded by %s: %w", len(entries), by, err)
	}
	return nil
}

// produce writes recs, buffered and then flushed together, so that the
// records of one partition go in one batch, in order.
func (t *Tool) produce(ctx context.Context, recs ...*kgo.Record) error {
	var (
		mu   sync.Mutex
		errs []error
	)
	for _, r := range recs {
		t.cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", r.Topic, err))
				mu.Unlock()
			}
		})
	}
	if err := t.cl.Flush(ctx); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	return errors.Join(errs...)
}

// ensureReplayedTopic creates ReplayedTopic, compacted, when it is missing.
func (t *Tool) ensureReplayedTopic(ctx context.Context) error {
	cleanup := "compact"
	resp, err := t.adm.CreateTopic(ctx, 1, -1, map[string]*string{"cleanup.policy": &cleanup}, ReplayedTopic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, errTopicExists) {
		return fmt.Errorf("poison: create %s: %w", ReplayedTopic, err)
	}
	return nil
}

func headerMap(hs []kgo.RecordHeader) map[string]string {
	m := make(map[string]string, len(hs))
	for _, h := range hs {
		m[h.Key] = string(h.Value)
	}
	return m
}
