package stats_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/outbox"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

const (
	eventID    = "0f8fad5b-d9cb-469f-a165-70867728950e"
	userID     = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	otherUser  = "16fd2706-8baf-433b-82eb-8c7fada847da"
	activityID = "886313e1-3b8a-5372-9b90-0c9aee199e5d"
)

// createdAt is late in the evening in New York: already the next day in UTC,
// and with microseconds the read models do not keep.
var createdAt = time.Date(2026, 11, 27, 22, 15, 30, 123456000, time.FixedZone("EST", -5*3600))

// utcAt is createdAt as the statistics keep it: UTC, milliseconds.
var utcAt = time.Date(2026, 11, 28, 3, 15, 30, 123000000, time.UTC)

// position is where the consumer read event's events from the outbox topic.
var position = outbox.Position{Partition: 2, Offset: 41}

func event(eventType, aggregateID string, payload string) outbox.Event {
	aggType := events.AggregateActivity
	if eventType == events.UserCreated || eventType == events.UserUpdated || eventType == events.UserDeleted {
		aggType = events.AggregateUser
	}
	return outbox.Event{
		EventID: eventID, AggregateID: aggregateID, AggregateType: aggType, AggregateVersion: 3,
		EventType: eventType, SchemaVersion: 1, Payload: json.RawMessage(payload),
		Metadata:  outbox.Metadata{CorrelationID: "corr-1"},
		CreatedAt: createdAt,
		Position:  position,
	}
}

func daily(eventType string) stats.Contribution {
	return stats.Contribution{
		EventID: eventID, Collection: stats.DailyStatistics, DocID: "2026-11-28/" + eventType,
		Inc:         map[string]int64{stats.Count: 1},
		Identity:    map[string]string{"day": "2026-11-28", "event_type": eventType},
		CommittedAt: createdAt.UTC(),
		Source:      position, CorrelationID: "corr-1",
	}
}

func user(id string, created, joined, left int64) stats.Contribution {
	return stats.Contribution{
		EventID: eventID, Collection: stats.UserStatistics, DocID: id,
		Inc: map[string]int64{
			stats.ActivitiesCreated: created, stats.ActivitiesJoined: joined, stats.ActivitiesLeft: left,
		},
		Max:         map[string]time.Time{stats.LastActivityAt: utcAt},
		Identity:    map[string]string{"user_id": id},
		CommittedAt: createdAt.UTC(),
		Source:      position, CorrelationID: "corr-1",
	}
}

func TestContributionsOfEveryEventType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   outbox.Event
		want []stats.Contribution
	}{
		{
			"UserCreated counts for the day and touches the user",
			event(events.UserCreated, userID, `{"user_id":"`+userID+`","email":"ada@example.com","username":"ada"}`),
			[]stats.Contribution{daily(events.UserCreated), user(userID, 0, 0, 0)},
		},
		{
			"UserUpdated touches the user",
			event(events.UserUpdated, userID, `{"user_id":"`+userID+`","city":"Paris"}`),
			[]stats.Contribution{daily(events.UserUpdated), user(userID, 0, 0, 0)},
		},
		{
			"UserDeleted touches the user",
			event(events.UserDeleted, userID, `{"user_id":"`+userID+`","reason":"requested"}`),
			[]stats.Contribution{daily(events.UserDeleted), user(userID, 0, 0, 0)},
		},
		{
			"ActivityCreated counts for the creator",
			event(events.ActivityCreated, activityID, `{"activity_id":"`+activityID+`","creator_id":"`+otherUser+
				`","title":"Run","category":"sport","starts_at":"2026-12-01T08:00:00Z"}`),
			[]stats.Contribution{daily(events.ActivityCreated), user(otherUser, 1, 0, 0)},
		},
		{
			"ActivityUpdated counts only per day",
			event(events.ActivityUpdated, activityID, `{"activity_id":"`+activityID+`","title":"Long run"}`),
			[]stats.Contribution{daily(events.ActivityUpdated)},
		},
		{
			"ActivityCancelled counts only per day",
			event(events.ActivityCancelled, activityID, `{"activity_id":"`+activityID+`","reason":"rain"}`),
			[]stats.Contribution{daily(events.ActivityCancelled)},
		},
		{
			"ParticipantJoined counts for the participant",
			event(events.ParticipantJoined, activityID, `{"activity_id":"`+activityID+`","user_id":"`+otherUser+`"}`),
			[]stats.Contribution{daily(events.ParticipantJoined), user(otherUser, 0, 1, 0)},
		},
		{
			"ParticipantLeft counts for the participant",
			event(events.ParticipantLeft, activityID, `{"activity_id":"`+activityID+`","user_id":"`+otherUser+`"}`),
			[]stats.Contribution{daily(events.ParticipantLeft), user(otherUser, 0, 0, 1)},
		},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stats.Contributions(tt.ev)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
		covered[tt.ev.EventType] = true
	}
	for _, et := range stats.EventTypes {
		assert.True(t, covered[et], "event type %s has no test", et)
	}
}

// EventTypes is exactly the catalogue: the fan-out registers for these.
func TestEventTypesAreTheCatalogue(t *testing.T) {
	t.Parallel()
	assert.ElementsMatch(t, []string{
		events.UserCreated, events.UserUpdated, events.UserDeleted,
		events.ActivityCreated, events.ActivityUpdated, events.ActivityCancelled,
		events.ParticipantJoined, events.ParticipantLeft,
	}, stats.EventTypes)
}

// The day is the UTC day of created_at, whatever zone it came in, and the
// boundaries belong to the day they start.
func TestDailyDocumentIsTheUTCDay(t *testing.T) {
	t.Parallel()
	payload := `{"activity_id":"` + activityID + `","reason":"rain"}`
	tests := []struct {
		at  time.Time
		day string
	}{
		{time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), "2026-11-27"},
		{time.Date(2026, 11, 27, 23, 59, 59, 999999999, time.UTC), "2026-11-27"},
		{time.Date(2026, 11, 28, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "2026-11-27"},
		{time.Date(2026, 11, 27, 19, 0, 0, 0, time.FixedZone("EST", -5*3600)), "2026-11-28"},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "2027-01-01"},
	}
	for _, tt := range tests {
		ev := event(events.ActivityCancelled, activityID, payload)
		ev.CreatedAt = tt.at
		cs, err := stats.Contributions(ev)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		assert.Equal(t, tt.day+"/ActivityCancelled", cs[0].DocID, "created_at %v", tt.at)
		assert.Equal(t, map[string]string{"day": tt.day, "event_type": "ActivityCancelled"}, cs[0].Identity)
	}
}

func TestLastActivityAtIsUTCMilliseconds(t *testing.T) {
	t.Parallel()
	ev := event(events.UserUpdated, userID, `{"user_id":"`+userID+`","city":"Paris"}`)
	cs, err := stats.Contributions(ev)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	at := cs[1].Max[stats.LastActivityAt]
	assert.Equal(t, time.UTC, at.Location())
	assert.True(t, at.Equal(utcAt), "last_activity_at = %v, want %v", at, utcAt)
}

func TestInvalidPayloadIsPermanent(t *testing.T) {
	t.Parallel()
	tests := map[string]outbox.Event{
		"UserCreated without email": event(events.UserCreated, userID, `{"user_id":"`+userID+`","username":"ada"}`),
		"UserCreated of another aggregate": event(events.UserCreated, userID,
			`{"user_id":"`+otherUser+`","email":"a@b","username":"ada"}`),
		"UserUpdated changing nothing":    event(events.UserUpdated, userID, `{"user_id":"`+userID+`"}`),
		"ActivityCreated without creator": event(events.ActivityCreated, activityID, `{"activity_id":"`+activityID+`","title":"Run","category":"sport","starts_at":"2026-12-01T08:00:00Z"}`),
		"ActivityUpdated changing nothing": event(events.ActivityUpdated, activityID,
			`{"activity_id":"`+activityID+`"}`),
		"ActivityCancelled of another aggregate": event(events.ActivityCancelled, activityID,
			`{"activity_id":"`+otherUser+`"}`),
		"ParticipantJoined without user":  event(events.ParticipantJoined, activityID, `{"activity_id":"`+activityID+`"}`),
		"ParticipantLeft without user":    event(events.ParticipantLeft, activityID, `{"activity_id":"`+activityID+`"}`),
		"payload not JSON":                event(events.ParticipantLeft, activityID, `{"activity_id":`),
		"payload not an object":           event(events.UserCreated, userID, `[1,2]`),
		"counter of the wrong type":       event(events.ActivityCreated, activityID, `{"activity_id":"`+activityID+`","creator_id":7}`),
		"daily-only type, invalid anyway": event(events.ActivityCancelled, activityID, `{"activity_id":7,"reason":"x"}`),
	}
	schema2 := event(events.UserCreated, userID, `{"user_id":"`+userID+`","email":"a@b","username":"ada"}`)
	schema2.SchemaVersion = 9
	tests["a schema version no build reads"] = schema2
	for name, ev := range tests {
		t.Run(name, func(t *testing.T) {
			cs, err := stats.Contributions(ev)
			require.Error(t, err)
			assert.True(t, fault.IsPermanent(err), "error %v is not permanent", err)
			assert.True(t, errors.Is(err, events.ErrInvalidPayload), "error %v does not wrap ErrInvalidPayload", err)
			assert.Contains(t, err.Error(), ev.EventID, "the error names the event")
			assert.Empty(t, cs)
		})
	}
}

func TestKeyAndID(t *testing.T) {
	t.Parallel()
	u := stats.Contribution{EventID: eventID, Collection: stats.UserStatistics, DocID: userID}
	assert.Equal(t, "user_statistics/"+userID, u.Key())
	assert.Equal(t, "user_statistics/"+userID+"/"+eventID, u.ID())

	d := stats.Contribution{EventID: eventID, Collection: stats.DailyStatistics, DocID: "2026-11-27/UserCreated"}
	assert.Equal(t, "daily_statistics/2026-11-27/UserCreated", d.Key())
	assert.Equal(t, "daily_statistics/2026-11-27/UserCreated/"+eventID, d.ID())
}

// One event's contributions go to different documents, so their keys (and
// with them their partitions) and identities differ; the same event always
// gives the same identities, which is what makes a redelivery a duplicate.
func TestContributionsAreDeterministic(t *testing.T) {
	t.Parallel()
	ev := event(events.ParticipantJoined, activityID, `{"activity_id":"`+activityID+`","user_id":"`+otherUser+`"}`)
	a, err := stats.Contributions(ev)
	require.NoError(t, err)
	b, err := stats.Contributions(ev)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	require.Len(t, a, 2)
	assert.NotEqual(t, a[0].Key(), a[1].Key())
	assert.NotEqual(t, a[0].ID(), a[1].ID())

	other := ev
	other.EventID = "a7d1a1f8-1111-4a5e-9b1b-5c6f1d9a0c11"
	c, err := stats.Contributions(other)
	require.NoError(t, err)
	assert.Equal(t, a[0].Key(), c[0].Key(), "same document")
	assert.NotEqual(t, a[0].ID(), c[0].ID(), "another contribution")
}

// Every contribution of an event names where the event was read (the
// watermark it is counted against) and carries its correlation id.
func TestContributionsCarrySourceAndCorrelationID(t *testing.T) {
	t.Parallel()
	ev := event(events.ParticipantJoined, activityID, `{"activity_id":"`+activityID+`","user_id":"`+otherUser+`"}`)
	ev.Position = outbox.Position{Partition: 7, Offset: 1_234_567}
	ev.Metadata.CorrelationID = "corr-joined"
	cs, err := stats.Contributions(ev)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	for _, c := range cs {
		assert.Equal(t, outbox.Position{Partition: 7, Offset: 1_234_567}, c.Source, c.ID())
		assert.Equal(t, "corr-joined", c.CorrelationID, c.ID())
	}

	// The same event read again at another position (a topic rebuilt, or
	// a copy) is another source; everything else is the same.
	again := ev
	again.Position = outbox.Position{Partition: 3, Offset: 0}
	again.Metadata.CorrelationID = ""
	cs2, err := stats.Contributions(again)
	require.NoError(t, err)
	require.Len(t, cs2, 2)
	for i := range cs {
		assert.Equal(t, again.Position, cs2[i].Source)
		assert.Empty(t, cs2[i].CorrelationID, "no correlation id in the metadata")
		cs2[i].Source, cs2[i].CorrelationID = cs[i].Source, cs[i].CorrelationID
		assert.Equal(t, cs[i], cs2[i])
	}
}

// Every contribution an event makes is valid.
func TestContributionsValidate(t *testing.T) {
	t.Parallel()
	for _, ev := range []outbox.Event{
		event(events.UserCreated, userID, `{"user_id":"`+userID+`","email":"ada@example.com","username":"ada"}`),
		event(events.ActivityCreated, activityID, `{"activity_id":"`+activityID+`","creator_id":"`+otherUser+
			`","title":"Run","category":"sport","starts_at":"2026-12-01T08:00:00Z"}`),
		event(events.ActivityCancelled, activityID, `{"activity_id":"`+activityID+`"}`),
		event(events.ParticipantLeft, activityID, `{"activity_id":"`+activityID+`","user_id":"`+otherUser+`"}`),
	} {
		cs, err := stats.Contributions(ev)
		require.NoError(t, err)
		for _, c := range cs {
			assert.NoError(t, c.Validate(), c.ID())
		}
	}
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	valid := func() (stats.Contribution, stats.Contribution) {
		return user(userID, 1, 0, 0), daily(events.UserCreated)
	}
	tests := map[string]struct {
		change func(u, d *stats.Contribution) *stats.Contribution
		want   string
	}{
		"no event id":        {func(u, _ *stats.Contribution) *stats.Contribution { u.EventID = ""; return u }, "event_id: required"},
		"unknown collection": {func(u, _ *stats.Contribution) *stats.Contribution { u.Collection = "users"; return u }, `collection: unknown "users"`},
		"no doc id":          {func(_, d *stats.Contribution) *stats.Contribution { d.DocID = ""; return d }, "doc_id: required"},
		"_seq as a counter": {func(_, d *stats.Contribution) *stats.Contribution {
			d.Inc = map[string]int64{"_seq": 1}
			return d
		}, "inc._seq"},
		"the watermark as a counter": {func(_, d *stats.Contribution) *stats.Contribution {
			d.Inc = map[string]int64{stats.Count: 1, "_sources": 1}
			return d
		}, "inc._sources"},
		"negative source partition": {func(u, _ *stats.Contribution) *stats.Contribution {
			u.Source.Partition = -1
			return u
		}, "source: partition -1, offset 41: must not be negative"},
		"negative source offset": {func(_, d *stats.Contribution) *stats.Contribution {
			d.Source.Offset = -2
			return d
		}, "source: partition 2, offset -2: must not be negative"},
		"operator as a counter": {func(_, d *stats.Contribution) *stats.Contribution {
			d.Inc = map[string]int64{stats.Count: 1, "$inc": 1}
			return d
		}, "inc.$inc"},
		"another collection's counter": {func(_, d *stats.Contribution) *stats.Contribution {
			d.Inc = map[string]int64{stats.ActivitiesJoined: 1}
			return d
		}, "inc.activities_joined"},
		"user counter named count": {func(u, _ *stats.Contribution) *stats.Contribution {
			u.Inc[stats.Count] = 1
			return u
		}, "inc.count"},
		"time on a daily document": {func(_, d *stats.Contribution) *stats.Contribution {
			d.Max = map[string]time.Time{stats.LastActivityAt: utcAt}
			return d
		}, "max.last_activity_at"},
		"counter as a time": {func(u, _ *stats.Contribution) *stats.Contribution {
			u.Max[stats.ActivitiesCreated] = utcAt
			return u
		}, "max.activities_created"},
		"identity _id": {func(u, _ *stats.Contribution) *stats.Contribution {
			u.Identity["_id"] = "x"
			return u
		}, "identity._id"},
		"identity overwriting a counter": {func(_, d *stats.Contribution) *stats.Contribution {
			d.Identity[stats.Count] = "x"
			return d
		}, "identity.count"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			u, d := valid()
			require.NoError(t, u.Validate())
			require.NoError(t, d.Validate())
			err := tt.change(&u, &d).Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// The first record of a partition is at offset 0: a zero source is valid.
func TestValidateAcceptsTheFirstOffset(t *testing.T) {
	t.Parallel()
	for _, c := range []stats.Contribution{user(userID, 0, 1, 0), daily(events.ParticipantJoined)} {
		c.Source = outbox.Position{}
		assert.NoError(t, c.Validate(), c.ID())
	}
}
