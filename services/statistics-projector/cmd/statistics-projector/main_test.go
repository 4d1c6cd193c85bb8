package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/debezium/debeziumtest"
	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/testkit/kafkatest"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

func TestMain(m *testing.M) {
	os.Exit(mongotest.Main(m))
}

const (
	serviceName     = "statistics-projector"
	outboxTopic     = config.DefaultTopic
	incrementsTopic = serviceName + ".increments"
	poisonTopic     = serviceName + ".poison"
	partitions      = 12
)

// ---- the event stream ----------------------------------------------------

// actor is who did an event and which of their counters it adds to, as the
// generator knows it (the model below does not read payloads).
type actor struct {
	user    string
	counter string // "", "activities_created", "activities_joined", "activities_left"
}

type userState struct {
	id      string
	version int64
	deleted bool
}

type activityState struct {
	id           string
	version      int64
	cancelled    bool
	participants map[string]bool
}

// world generates a realistic outbox stream: users sign up, change and
// leave; existing users create activities, join and leave them; activities
// change and get cancelled.
type world struct {
	rng        *rand.Rand
	now        time.Time
	users      []*userState
	activities []*activityState
	events     []outbox.Event
	actors     []actor
}

func (w *world) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", w.rng.Uint32(), w.rng.IntN(1<<16), w.rng.IntN(1<<12),
		0x8000|w.rng.IntN(1<<14), w.rng.Uint64()&(1<<48-1))
}

func (w *world) emit(aggType, aggID string, version int64, eventType string, payload any, who actor) {
	body, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	// Up to 40 minutes between events, with microseconds (which the read
	// models drop): 300 events span about four UTC days.
	w.now = w.now.Add(time.Duration(w.rng.Int64N(int64(40*time.Minute))) + time.Duration(w.rng.IntN(1000))*time.Microsecond)
	w.events = append(w.events, outbox.Event{
		EventID: w.uuid(), AggregateID: aggID, AggregateType: aggType, AggregateVersion: version,
		EventType: eventType, SchemaVersion: 1, Payload: body,
		Metadata:  outbox.Metadata{CorrelationID: w.uuid()},
		CreatedAt: w.now,
		Source:    outbox.Source{LSN: int64(1000 + 8*len(w.events)), TxID: int64(500 + len(w.events))},
	})
	w.actors = append(w.actors, who)
}

func (w *world) activeUsers() []*userState {
	var out []*userState
	for _, u := range w.users {
		if !u.deleted {
			out = append(out, u)
		}
	}
	return out
}

func (w *world) openActivities() []*activityState {
	var out []*activityState
	for _, a := range w.activities {
		if !a.cancelled {
			out = append(out, a)
		}
	}
	return out
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func ptr[T any](v T) *T { return &v }

func (w *world) step() bool {
	users, acts := w.activeUsers(), w.openActivities()
	switch r := w.rng.IntN(100); {
	case r < 14 || len(users) < 3:
		u := &userState{id: w.uuid(), version: 1}
		w.users = append(w.users, u)
		w.emit(events.AggregateUser, u.id, 1, events.UserCreated, events.UserCreatedV1{
			UserID: u.id, Email: u.id[:8] + "@example.com", Username: "user-" + u.id[:8], FullName: "User " + u.id[:4],
		}, actor{user: u.id})
	case r < 22:
		u := pick(w.rng, users)
		u.version++
		w.emit(events.AggregateUser, u.id, u.version, events.UserUpdated,
			events.UserUpdatedV1{UserID: u.id, City: ptr(pick(w.rng, []string{"Oslo", "Lyon", "Porto"}))}, actor{user: u.id})
	case r < 25:
		if len(users) <= 3 {
			return false
		}
		u := pick(w.rng, users)
		u.version++
		u.deleted = true
		w.emit(events.AggregateUser, u.id, u.version, events.UserDeleted,
			events.UserDeletedV1{UserID: u.id, Reason: "requested"}, actor{user: u.id})
	case r < 42:
		creator := pick(w.rng, users)
		a := &activityState{id: w.uuid(), version: 1, participants: map[string]bool{}}
		w.activities = append(w.activities, a)
		w.emit(events.AggregateActivity, a.id, 1, events.ActivityCreated, events.ActivityCreatedV1{
			ActivityID: a.id, CreatorID: creator.id, Title: "Activity " + a.id[:4], Category: "sport",
			StartsAt: w.now.Add(72 * time.Hour).Truncate(time.Second), MaxParticipants: w.rng.IntN(10),
		}, actor{user: creator.id, counter: "activities_created"})
	case r < 50:
		if len(acts) == 0 {
			return false
		}
		a := pick(w.rng, acts)
		a.version++
		w.emit(events.AggregateActivity, a.id, a.version, events.ActivityUpdated,
			events.ActivityUpdatedV1{ActivityID: a.id, Location: ptr("Park " + a.id[:2])}, actor{})
	case r < 54:
		if len(acts) == 0 {
			return false
		}
		a := pick(w.rng, acts)
		a.version++
		a.cancelled = true
		w.emit(events.AggregateActivity, a.id, a.version, events.ActivityCancelled,
			events.ActivityCancelledV1{ActivityID: a.id, Reason: "weather"}, actor{})
	case r < 82:
		if len(acts) == 0 {
			return false
		}
		a, u := pick(w.rng, acts), pick(w.rng, users)
		if a.participants[u.id] {
			return false
		}
		a.participants[u.id] = true
		a.version++
		w.emit(events.AggregateActivity, a.id, a.version, events.ParticipantJoined,
			events.ParticipantJoinedV1{ActivityID: a.id, UserID: u.id}, actor{user: u.id, counter: "activities_joined"})
	default:
		if len(acts) == 0 {
			return false
		}
		a := pick(w.rng, acts)
		members := slices.Sorted(maps.Keys(a.participants))
		if len(members) == 0 {
			return false
		}
		u := pick(w.rng, members)
		delete(a.participants, u)
		a.version++
		w.emit(events.AggregateActivity, a.id, a.version, events.ParticipantLeft,
			events.ParticipantLeftV1{ActivityID: a.id, UserID: u}, actor{user: u, counter: "activities_left"})
	}
	return true
}

func generate(seed uint64, n int) ([]outbox.Event, []actor) {
	w := &world{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), now: time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)}
	for len(w.events) < n {
		w.step()
	}
	return w.events, w.actors
}

// ---- the model -----------------------------------------------------------

// docs is a statistics collection by _id.
type docs map[string]bson.M

// expected counts the statistics straight from the stream: one count per
// event in its UTC day and type, and per user the activities they created,
// joined and left, and the time of their latest event (UTC, milliseconds,
// as a BSON date keeps it). Bookkeeping (_rev, the number of writes, and
// _sources, the watermark) depends on batching and partitioning, so the
// model leaves it out and snapshots compare it only within one database.
func expected(evs []outbox.Event, actors []actor) (users, daily docs) {
	users, daily = docs{}, docs{}
	for i, ev := range evs {
		day := ev.CreatedAt.UTC().Format(time.DateOnly)
		id := day + "/" + ev.EventType
		d, ok := daily[id]
		if !ok {
			d = bson.M{"_id": id, "day": day, "event_type": ev.EventType, "count": int64(0)}
			daily[id] = d
		}
		d["count"] = d["count"].(int64) + 1

		who := actors[i]
		if who.user == "" {
			continue
		}
		u, ok := users[who.user]
		if !ok {
			u = bson.M{
				"_id": who.user, "user_id": who.user,
				"activities_created": int64(0), "activities_joined": int64(0), "activities_left": int64(0),
				"last_activity_at": bson.DateTime(0),
			}
			users[who.user] = u
		}
		if who.counter != "" {
			u[who.counter] = u[who.counter].(int64) + 1
		}
		if at := bson.NewDateTimeFromTime(ev.CreatedAt); at > u["last_activity_at"].(bson.DateTime) {
			u["last_activity_at"] = at
		}
	}
	return users, daily
}

// ---- the service ---------------------------------------------------------

// runner is one running statistics-projector.
type runner struct {
	cancel  context.CancelFunc
	done    chan error
	cleanup func()
	stopped bool
}

func startRunner(t *testing.T, vars map[string]string) *runner {
	t.Helper()
	cfg, env, err := config.LoadFrom(serviceName, config.MapLookup(vars))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r, cleanup, err := initRunner(ctx, cfg, env)
	if err != nil {
		cancel()
		require.NoError(t, err, "initRunner")
	}
	rn := &runner{cancel: cancel, done: make(chan error, 1), cleanup: cleanup}
	go func() { rn.done <- r.Run(ctx) }()
	t.Cleanup(func() { rn.stop(t) })
	return rn
}

func (r *runner) stop(t *testing.T) {
	t.Helper()
	if r.stopped {
		return
	}
	r.stopped = true
	r.cancel()
	select {
	case err := <-r.done:
		assert.NoError(t, err, "runner stopped with an error")
	case <-time.After(30 * time.Second):
		t.Error("runner did not stop within 30 s")
	}
	r.cleanup()
}

// serviceEnv is the service's environment: the test's Kafka and database,
// quick retries and shutdown, and extra variables on top.
func serviceEnv(t *testing.T, kc *kafkatest.Cluster, db *mongo.Database, extra map[string]string) map[string]string {
	vars := map[string]string{
		"KAFKA_BROKERS":          strings.Join(kc.Brokers(), ","),
		"MONGODB_URI":            mongotest.URI(t),
		"MONGODB_DATABASE":       db.Name(),
		"HTTP_ADDR":              "127.0.0.1:0",
		"LOG_LEVEL":              "error",
		"RETRY_INITIAL_INTERVAL": "10ms",
		"HANDLER_TIMEOUT":        "4s",
		"CLOSE_TIMEOUT":          "5s",
	}
	maps.Copy(vars, extra)
	return vars
}

// ---- observing -----------------------------------------------------------

// readAll reads a statistics collection with its freshness stamps.
func readAll(t *testing.T, db *mongo.Database, collection string) docs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cur, err := db.Collection(collection).Find(ctx, bson.D{})
	require.NoError(t, err)
	var all []bson.M
	require.NoError(t, cur.All(ctx, &all))
	out := make(docs, len(all))
	for _, d := range all {
		out[d["_id"].(string)] = d
	}
	return out
}

// snapshot is the statistics without their freshness stamps (which differ
// between two databases fed the same events), and the stamps apart: within
// one database they change only when a document is written.
type snapshot struct {
	users, daily docs
	stamps       map[string]any
}

func snap(t *testing.T, db *mongo.Database) snapshot {
	t.Helper()
	s := snapshot{users: readAll(t, db, "user_statistics"), daily: readAll(t, db, "daily_statistics"), stamps: map[string]any{}}
	for collection, ds := range map[string]docs{"user_statistics": s.users, "daily_statistics": s.daily} {
		for id, d := range ds {
			require.Contains(t, d, readmodel.ProjectedAtField, "%s/%s is stamped", collection, id)
			for _, f := range []string{readmodel.CommittedAtField, readmodel.ProjectedAtField} {
				s.stamps[collection+"/"+id+"/"+f] = d[f]
				delete(d, f)
			}
		}
	}
	return s
}

// without is s with fields removed from every document.
func (s snapshot) without(fields ...string) snapshot {
	strip := func(in docs) docs {
		out := docs{}
		for id, d := range in {
			c := bson.M{}
			for k, v := range d {
				if !slices.Contains(fields, k) {
					c[k] = v
				}
			}
			out[id] = c
		}
		return out
	}
	return snapshot{users: strip(s.users), daily: strip(s.daily), stamps: s.stamps}
}

// eventually polls cond every 100 ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForModel waits until the statistics equal the model.
func waitForModel(t *testing.T, db *mongo.Database, users, daily docs, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := snap(t, db).without("_rev", "_sources")
		if assert.ObjectsAreEqual(users, s.users) && assert.ObjectsAreEqual(daily, s.daily) {
			return
		}
		if time.Now().After(deadline) {
			assert.Equal(t, daily, s.daily, "daily_statistics")
			assert.Equal(t, users, s.users, "user_statistics")
			t.Fatalf("statistics differ from the model after %v", timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lag is what group has not yet committed of topic.
func lag(t *testing.T, kc *kafkatest.Cluster, admin *kadm.Client, group, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := admin.ListEndOffsets(ctx, topic)
	require.NoError(t, err)
	committed := kc.CommittedOffsets(t, group, topic)
	var total int64
	ends.Each(func(o kadm.ListedOffset) {
		require.NoError(t, o.Err)
		total += o.Offset - committed[o.Partition]
	})
	return total
}

// waitCaughtUp waits until the outbox group, and after it the increments
// group (whose input the first one writes), have committed everything.
func waitCaughtUp(t *testing.T, kc *kafkatest.Cluster, admin *kadm.Client, group, incTopic, incGroup string) {
	t.Helper()
	eventually(t, 60*time.Second, "group "+group+" to commit "+outboxTopic, func() bool {
		return lag(t, kc, admin, group, outboxTopic) == 0
	})
	eventually(t, 60*time.Second, "group "+incGroup+" to commit "+incTopic, func() bool {
		return lag(t, kc, admin, incGroup, incTopic) == 0
	})
}

// resetGroups deletes the committed offsets of groups (none of whose
// members runs), so they start again from the oldest offset.
func resetGroups(t *testing.T, admin *kadm.Client, groups ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := admin.DeleteGroups(ctx, groups...)
	require.NoError(t, err)
	for g, r := range resp {
		require.NoError(t, r.Err, "delete group %s", g)
	}
}

func headers(rec *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, x := range rec.Headers {
		h[x.Key] = string(x.Value)
	}
	return h
}

// ---- the test ------------------------------------------------------------

// TestStatisticsExactlyOnce runs the wired service against Kafka (kfake) and
// FerretDB: a realistic event stream gives the statistics counted straight
// from the events; the whole stream again, a replay by a new consumer group
// and a fresh database all leave (or give) identical documents, watermarks
// included; invalid records on either topic go to the poison queue.
func TestStatisticsExactlyOnce(t *testing.T) {
	began := time.Now()
	evs, actors := generate(42, 300)
	wantUsers, wantDaily := expected(evs, actors)
	t.Logf("%d events, %d users, %d daily documents", len(evs), len(wantUsers), len(wantDaily))
	require.Greater(t, len(wantDaily), 20, "the stream spans several days")

	kc := kafkatest.Start(t, partitions, outboxTopic, incrementsTopic, incrementsTopic+"-fresh")
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.Brokers()...))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	admin := kadm.NewClient(cl)
	produceStream := func() {
		for _, ev := range evs {
			kc.Produce(t, outboxTopic, debeziumtest.Key(ev), debeziumtest.Envelope(ev), nil)
		}
	}

	db := mongotest.Database(t)
	first := startRunner(t, serviceEnv(t, kc, db, nil))

	// 1. The stream gives the model.
	produceStream()
	waitForModel(t, db, wantUsers, wantDaily, 45*time.Second)
	waitCaughtUp(t, kc, admin, serviceName, incrementsTopic, serviceName+".increments")
	want := snap(t, db)
	for id, d := range want.daily {
		assert.NotEmpty(t, d["_sources"], "%s has a watermark", id)
	}
	t.Logf("stream projected after %v", time.Since(began))

	// 2. Every batch delivered again: a restart of the service after its
	// offsets were reset to the start (as after a crash before any commit)
	// changes nothing, not even _rev.
	first.stop(t)
	resetGroups(t, admin, serviceName, serviceName+".increments")
	first = startRunner(t, serviceEnv(t, kc, db, nil))
	waitCaughtUp(t, kc, admin, serviceName, incrementsTopic, serviceName+".increments")
	assert.Equal(t, want, snap(t, db), "after the stream was delivered twice")
	t.Logf("redelivery absorbed after %v", time.Since(began))

	// 3. Invalid records on both topics go to the poison queue and change
	// nothing.
	badKey := []byte(`{"aggregate_id":"bad"}`)
	badValue := []byte(`{"before":null,"after":`)
	kc.Produce(t, outboxTopic, badKey, badValue, nil)
	invalid := evs[0]
	invalid.EventID, invalid.EventType = "a0000000-0000-4000-8000-000000000001", events.ParticipantJoined
	invalid.Payload = json.RawMessage(`{"activity_id":"` + invalid.AggregateID + `"}`)
	kc.Produce(t, outboxTopic, debeziumtest.Key(invalid), debeziumtest.Envelope(invalid), nil)
	incKey, incValue := []byte("user_statistics/nobody"), []byte(`{"schema_version":2}`)
	kc.Produce(t, incrementsTopic, incKey, incValue, nil)
	// A well-formed contribution to an existing document that writes a
	// field it must not: rejected before it reaches the store, where it
	// would corrupt the document or fail on every attempt.
	hot := slices.Sorted(maps.Keys(wantDaily))[0]
	badIncKey := []byte("daily_statistics/" + hot)
	badIncValue := []byte(`{"schema_version":2,"event_id":"a0000000-0000-4000-8000-000000000002",` +
		`"collection":"daily_statistics","doc_id":"` + hot + `","inc":{"count":1,"_rev":1},"source":{"partition":0,"offset":99999}}`)
	kc.Produce(t, incrementsTopic, badIncKey, badIncValue, nil)

	poisoned := kc.Consume(t, poisonTopic, 4, 30*time.Second)
	byHandler := map[string][]*kgo.Record{}
	for _, rec := range poisoned {
		h := headers(rec)
		assert.NotEmpty(t, h["reason_poisoned"], "reason_poisoned of %s", rec.Value)
		byHandler[h["handler_poisoned"]] = append(byHandler[h["handler_poisoned"]], rec)
	}
	require.Len(t, byHandler["statistics-projector.outbox"], 2, "poisoned outbox records")
	require.Len(t, byHandler["statistics-projector.increments"], 2, "poisoned increments")
	for _, rec := range byHandler["statistics-projector.outbox"] {
		h := headers(rec)
		assert.Equal(t, outboxTopic, h["topic_poisoned"])
		if string(rec.Key) == string(badKey) {
			assert.Equal(t, badValue, rec.Value, "the poisoned record keeps its value")
		} else {
			assert.Equal(t, debeziumtest.Key(invalid), rec.Key)
			assert.Equal(t, debeziumtest.Envelope(invalid), rec.Value)
			assert.Contains(t, h["reason_poisoned"], "user_id: required")
		}
	}
	for _, inc := range byHandler["statistics-projector.increments"] {
		h := headers(inc)
		assert.Equal(t, incrementsTopic, h["topic_poisoned"])
		if string(inc.Key) == string(incKey) {
			assert.Equal(t, incValue, inc.Value)
			assert.Contains(t, h["reason_poisoned"], "event_id: required")
		} else {
			assert.Equal(t, badIncKey, inc.Key, "the poisoned increment keeps its key")
			assert.Equal(t, badIncValue, inc.Value)
			assert.Contains(t, h["reason_poisoned"], "inc._rev")
		}
	}
	waitCaughtUp(t, kc, admin, serviceName, incrementsTopic, serviceName+".increments")
	assert.Equal(t, want, snap(t, db), "after the invalid records")
	t.Logf("poison checked after %v", time.Since(began))

	// 4. Replay: a new consumer group (and so a new increments group) reads
	// both topics from the start into the same database.
	first.stop(t)
	replay := startRunner(t, serviceEnv(t, kc, db, map[string]string{
		"KAFKA_CONSUMER_GROUP": "statistics-replay",
	}))
	waitCaughtUp(t, kc, admin, "statistics-replay", incrementsTopic, "statistics-replay.increments")
	assert.Equal(t, want, snap(t, db), "after a replay of both topics")
	replay.stop(t)
	t.Logf("replay checked after %v", time.Since(began))

	// 5. A fresh database fed by fresh groups and a fresh increments topic
	// from the same outbox topic (the stream and the invalid records) ends
	// up identical.
	fresh := mongotest.Database(t)
	freshRunner := startRunner(t, serviceEnv(t, kc, fresh, map[string]string{
		"KAFKA_CONSUMER_GROUP":        "statistics-fresh",
		"STATISTICS_INCREMENTS_TOPIC": incrementsTopic + "-fresh",
	}))
	waitCaughtUp(t, kc, admin, "statistics-fresh", incrementsTopic+"-fresh", "statistics-fresh.increments")
	// Documents are written once per batch, and batches fall differently
	// in another run: the number of writes (_rev) may differ, the counts
	// and the watermarks may not.
	got := snap(t, fresh).without("_rev")
	wantFresh := want.without("_rev")
	assert.Equal(t, []any{wantFresh.users, wantFresh.daily}, []any{got.users, got.daily}, "a fresh database")
	freshRunner.stop(t)
	t.Logf("fresh database checked after %v", time.Since(began))
}
