package verify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/verify"
)

// TestFold stores event histories in a real outbox and checks the read
// models Fold recomputes from them. A nil expectation is not checked.
func TestFold(t *testing.T) {
	outbox := newOutbox(t)
	sec := time.Second

	tests := []struct {
		name           string
		rows           []verify.Row
		users          map[string]verify.User
		activities     map[string]verify.Activity
		userStatistics map[string]verify.UserStatistics
		daily          map[string]verify.DailyStatistics
		skipped        map[verify.SkipReason]int
	}{
		{
			name: "user created then updated",
			rows: []verify.Row{
				row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "Ada", "Paris")),
				row(user1, 2, typeUserUpdated, at(sec), userPayload(user1, `,"full_name":"Ada L.","city":""`)),
			},
			users: map[string]verify.User{user1: {
				Email: "ada@example.com", Username: "ada", FullName: "Ada L.", City: "", Status: verify.UserActive,
				CreatedAt: ms(at(0)), Version: 2, UpdatedAt: ms(at(sec)),
			}},
			skipped: map[verify.SkipReason]int{},
		},
		{
			name: "deletion erases the personal fields and keeps the document",
			rows: []verify.Row{
				row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "Ada", "Paris")),
				row(user1, 2, typeUserDeleted, at(sec), userPayload(user1, `,"reason":"requested"`)),
			},
			users: map[string]verify.User{user1: {
				Status: verify.UserDeleted, CreatedAt: ms(at(0)), DeletedAt: ms(at(sec)), DeletionReason: "requested",
				Version: 2, UpdatedAt: ms(at(sec)),
			}},
		},
		{
			name: "a deleted user stays deleted: a later update restores no personal field, a later creation no status",
			rows: []verify.Row{
				row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "Ada", "Paris")),
				row(user1, 2, typeUserDeleted, at(sec), userPayload(user1, "")),
				row(user1, 3, typeUserUpdated, at(2*sec), userPayload(user1, `,"city":"Oslo","email":"back@example.com"`)),
				row(user1, 4, typeUserCreated, at(3*sec), userCreated(user1, "new@example.com", "new", "New", "Rome")),
			},
			// The later events still move version and updated_at, and
			// created_at is the latest creation's.
			users: map[string]verify.User{user1: {
				Status: verify.UserDeleted, CreatedAt: ms(at(3 * sec)), DeletedAt: ms(at(sec)),
				Version: 4, UpdatedAt: ms(at(3 * sec)),
			}},
			userStatistics: map[string]verify.UserStatistics{user1: {UserID: user1, LastActivityAt: ms(at(3 * sec))}},
		},
		{
			name: "a later deletion sets deleted_at and deletion_reason anew",
			rows: []verify.Row{
				row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "Ada", "Paris")),
				row(user1, 2, typeUserDeleted, at(sec), userPayload(user1, `,"reason":"first"`)),
				row(user1, 3, typeUserDeleted, at(2*sec), userPayload(user1, `,"reason":"second"`)),
			},
			users: map[string]verify.User{user1: {
				Status: verify.UserDeleted, CreatedAt: ms(at(0)), DeletedAt: ms(at(2 * sec)), DeletionReason: "second",
				Version: 3, UpdatedAt: ms(at(2 * sec)),
			}},
		},
		{
			name: "an update of a user never created makes an active user without created_at",
			rows: []verify.Row{
				row(user2, 4, typeUserUpdated, at(0), userPayload(user2, `,"email":"bob@example.com"`)),
			},
			users: map[string]verify.User{user2: {
				Email: "bob@example.com", Status: verify.UserActive, Version: 4, UpdatedAt: ms(at(0)),
			}},
		},
		{
			name: "activity created, updated, cancelled",
			rows: []verify.Row{
				row(activity1, 1, typeActivityCreated, at(0), activityPayload(activity1,
					`,"creator_id":"`+user1+`","title":"Run","description":"5 km","category":"sport","location":"Park","starts_at":"2026-03-10T19:00:00.5004+01:00","max_participants":10`)),
				row(activity1, 2, typeActivityUpdated, at(sec), activityPayload(activity1,
					`,"title":"Long run","max_participants":0,"starts_at":"2026-03-11T18:00:00Z"`)),
				row(activity1, 3, typeActivityCancelled, at(2*sec), activityPayload(activity1, `,"reason":"rain"`)),
			},
			activities: map[string]verify.Activity{activity1: {
				CreatorID: user1, Title: "Long run", Description: "5 km", Category: "sport", Location: "Park",
				StartsAt: time.Date(2026, 3, 11, 18, 0, 0, 0, time.UTC), MaxParticipants: 0,
				Status: verify.ActivityCancelled, CancelledAt: ms(at(2 * sec)), CancelReason: "rain",
				CreatedAt: ms(at(0)), Version: 3, UpdatedAt: ms(at(2 * sec)),
				Participants: map[string]time.Time{},
			}},
			// The creator is counted; updates and cancellations count only per day.
			userStatistics: map[string]verify.UserStatistics{user1: {UserID: user1, ActivitiesCreated: 1, LastActivityAt: ms(at(0))}},
		},
		{
			name: "starts_at is kept in UTC milliseconds",
			rows: []verify.Row{
				row(activity1, 1, typeActivityCreated, at(0), activityPayload(activity1,
					`,"creator_id":"`+user1+`","title":"Run","category":"sport","starts_at":"2026-03-10T19:00:00.5004+01:00"`)),
			},
			activities: map[string]verify.Activity{activity1: {
				CreatorID: user1, Title: "Run", Category: "sport",
				StartsAt: time.Date(2026, 3, 10, 18, 0, 0, 500000000, time.UTC),
				Status:   verify.ActivityScheduled, CreatedAt: ms(at(0)), Version: 1, UpdatedAt: ms(at(0)),
				Participants: map[string]time.Time{},
			}},
		},
		{
			name: "join, leave and rejoin: participants are who is in now, joined_at the latest join",
			rows: []verify.Row{
				row(activity1, 1, typeActivityCreated, at(0), activityPayload(activity1,
					`,"creator_id":"`+user1+`","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00Z"`)),
				row(activity1, 2, typeParticipantJoined, at(1*sec), participant(activity1, user1)),
				row(activity1, 3, typeParticipantJoined, at(2*sec), participant(activity1, user2)),
				row(activity1, 4, typeParticipantLeft, at(3*sec), participant(activity1, user1)),
				row(activity1, 5, typeParticipantJoined, at(4*sec), participant(activity1, user1)),
				row(activity1, 6, typeParticipantJoined, at(5*sec), participant(activity1, user3)),
				row(activity1, 7, typeParticipantLeft, at(6*sec), participant(activity1, user3)),
			},
			activities: map[string]verify.Activity{activity1: {
				CreatorID: user1, Title: "Run", Category: "sport", StartsAt: time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC),
				Status: verify.ActivityScheduled, CreatedAt: ms(at(0)), Version: 7, UpdatedAt: ms(at(6 * sec)),
				Participants:     map[string]time.Time{user1: ms(at(4 * sec)), user2: ms(at(2 * sec))},
				ParticipantCount: 2,
			}},
			userStatistics: map[string]verify.UserStatistics{
				user1: {UserID: user1, ActivitiesCreated: 1, ActivitiesJoined: 2, ActivitiesLeft: 1, LastActivityAt: ms(at(4 * sec))},
				user2: {UserID: user2, ActivitiesJoined: 1, LastActivityAt: ms(at(2 * sec))},
				user3: {UserID: user3, ActivitiesJoined: 1, ActivitiesLeft: 1, LastActivityAt: ms(at(6 * sec))},
			},
		},
		{
			name: "an activity first seen through a join is scheduled",
			rows: []verify.Row{
				row(activity1, 2, typeParticipantJoined, at(0), participant(activity1, user2)),
			},
			activities: map[string]verify.Activity{activity1: {
				Status: verify.ActivityScheduled, Version: 2, UpdatedAt: ms(at(0)),
				Participants: map[string]time.Time{user2: ms(at(0))}, ParticipantCount: 1,
			}},
		},
		{
			// user1's own update is folded first (its id sorts first) but
			// is the latest thing user1 did: last_activity_at is a max.
			name: "user statistics: counters and the latest activity, whatever the fold order",
			rows: []verify.Row{
				row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "", "")),
				row(user1, 2, typeUserUpdated, at(9*sec), userPayload(user1, `,"city":"Rome"`)),
				row(user2, 1, typeUserCreated, at(sec), userCreated(user2, "bob@example.com", "bob", "", "")),
				row(activity1, 1, typeActivityCreated, at(2*sec), activityPayload(activity1,
					`,"creator_id":"`+user1+`","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00Z"`)),
				row(activity1, 2, typeParticipantJoined, at(3*sec), participant(activity1, user1)),
				row(activity1, 3, typeParticipantJoined, at(4*sec), participant(activity1, user2)),
				row(activity1, 4, typeActivityUpdated, at(5*sec), activityPayload(activity1, `,"title":"Walk"`)),
			},
			userStatistics: map[string]verify.UserStatistics{
				user1: {UserID: user1, ActivitiesCreated: 1, ActivitiesJoined: 1, LastActivityAt: ms(at(9 * sec))},
				user2: {UserID: user2, ActivitiesJoined: 1, LastActivityAt: ms(at(4 * sec))},
			},
		},
		{
			// 23:59:59.9996 is still 1 March once truncated to milliseconds;
			// a time written with another offset counts on its UTC day.
			name: "daily statistics by UTC day and event type, across midnight",
			rows: []verify.Row{
				row(user1, 1, typeUserCreated, time.Date(2026, 3, 1, 23, 59, 59, 999600000, time.UTC),
					userCreated(user1, "ada@example.com", "ada", "", "")),
				row(user2, 1, typeUserCreated, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
					userCreated(user2, "bob@example.com", "bob", "", "")),
				row(user3, 1, typeUserCreated, time.Date(2026, 3, 1, 19, 30, 0, 0, time.FixedZone("EST", -5*3600)),
					userCreated(user3, "cy@example.com", "cy", "", "")),
				row(user1, 2, typeUserUpdated, time.Date(2026, 3, 2, 1, 0, 0, 0, time.FixedZone("CET", 3600)),
					userPayload(user1, `,"city":"Rome"`)),
			},
			daily: map[string]verify.DailyStatistics{
				"2026-03-01/UserCreated": {Day: "2026-03-01", EventType: typeUserCreated, Count: 1},
				"2026-03-02/UserCreated": {Day: "2026-03-02", EventType: typeUserCreated, Count: 2},
				"2026-03-02/UserUpdated": {Day: "2026-03-02", EventType: typeUserUpdated, Count: 1},
			},
		},
		{
			name: "UserCreated schema version 2 reads as version 1",
			rows: []verify.Row{
				withMetadata(row(user1, 1, typeUserCreated, at(0),
					`{"user_id":"`+user1+`","email":"ada@example.com","username":"ada","name":{"given":"Ada","family":"King"}}`),
					`{"schema_version":2}`),
			},
			users: map[string]verify.User{user1: {
				Email: "ada@example.com", Username: "ada", FullName: "Ada King", Status: verify.UserActive,
				CreatedAt: ms(at(0)), Version: 1, UpdatedAt: ms(at(0)),
			}},
		},
		{
			name: "events the projectors skip change nothing and are counted by reason",
			rows: []verify.Row{
				withMetadata(row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "Ada", "Paris")),
					`{"schema_version":1,"correlation_id":"c-1"}`),
				withMetadata(row(user1, 2, typeUserUpdated, at(sec), userPayload(user1, `,"city":"Oslo"`)),
					`{"schema_version":2}`),
				row(user1, 3, typeUserUpdated, at(2*sec), userPayload(user1, "")),                 // changes nothing: invalid
				row(user1, 4, typeUserUpdated, at(3*sec), userPayload(user2, `,"city":"Oslo"`)),   // another user's id: invalid
				row(user1, 5, "UserRenamed", at(4*sec), userPayload(user1, `,"username":"ada2"`)), // not in the catalogue
				withMetadata(row(user1, 6, typeUserUpdated, at(5*sec), userPayload(user1, `,"city":"Oslo"`)), // rejected by the row decoder
					`{"schema_version":"1"}`),
				withMetadata(row(user1, 7, typeUserDeleted, at(6*sec), userPayload(user1, "")), `{"correlation_id":7}`),
			},
			users: map[string]verify.User{user1: {
				Email: "ada@example.com", Username: "ada", FullName: "Ada", City: "Paris", Status: verify.UserActive,
				CreatedAt: ms(at(0)), Version: 1, UpdatedAt: ms(at(0)),
			}},
			userStatistics: map[string]verify.UserStatistics{user1: {UserID: user1, LastActivityAt: ms(at(0))}},
			daily: map[string]verify.DailyStatistics{
				"2026-03-01/UserCreated": {Day: "2026-03-01", EventType: typeUserCreated, Count: 1},
			},
			skipped: map[verify.SkipReason]int{
				verify.SkipUnsupportedSchemaVersion: 1,
				verify.SkipInvalidPayload:           2,
				verify.SkipUnknownEventType:         1,
				verify.SkipMalformedRow:             2,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model, stats := outbox.fold(t, tt.rows...)
			if tt.users != nil {
				assert.Equal(t, tt.users, model.Users)
			}
			if tt.activities != nil {
				assert.Equal(t, tt.activities, model.Activities)
			}
			if tt.userStatistics != nil {
				assert.Equal(t, tt.userStatistics, model.UserStatistics)
			}
			if tt.daily != nil {
				assert.Equal(t, tt.daily, model.DailyStatistics)
			}
			if tt.skipped != nil {
				assert.Equal(t, tt.skipped, stats.Skipped)
			}
			assert.Equal(t, len(tt.rows), stats.EventsRead)
			assert.Equal(t, len(tt.rows), stats.EventsApplied+stats.EventsSkipped())
		})
	}
}

// Every event of the catalogue counts once in the daily statistics, and
// only events a user did touch user_statistics.
func TestFoldCountsEveryEventTypeOncePerDay(t *testing.T) {
	outbox := newOutbox(t)
	model, stats := outbox.fold(t,
		row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "", "")),
		row(user1, 2, typeUserUpdated, at(0), userPayload(user1, `,"city":"Rome"`)),
		row(user1, 3, typeUserDeleted, at(0), userPayload(user1, "")),
		row(activity1, 1, typeActivityCreated, at(0), activityPayload(activity1,
			`,"creator_id":"`+user2+`","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00Z"`)),
		row(activity1, 2, typeActivityUpdated, at(0), activityPayload(activity1, `,"description":""`)),
		row(activity1, 3, typeParticipantJoined, at(0), participant(activity1, user3)),
		row(activity1, 4, typeParticipantLeft, at(0), participant(activity1, user3)),
		row(activity1, 5, typeActivityCancelled, at(0), activityPayload(activity1, "")),
	)
	require.Equal(t, 8, stats.EventsApplied)
	require.ElementsMatch(t, verify.HandledEventTypes(), []string{
		typeUserCreated, typeUserUpdated, typeUserDeleted, typeActivityCreated,
		typeActivityUpdated, typeActivityCancelled, typeParticipantJoined, typeParticipantLeft,
	})
	for _, eventType := range verify.HandledEventTypes() {
		id := "2026-03-01/" + eventType
		assert.Equal(t, verify.DailyStatistics{Day: "2026-03-01", EventType: eventType, Count: 1}, model.DailyStatistics[id], id)
	}
	assert.Len(t, model.DailyStatistics, 8)
	assert.Equal(t, map[string]verify.UserStatistics{
		user1: {UserID: user1, LastActivityAt: ms(at(0))},
		user2: {UserID: user2, ActivitiesCreated: 1, LastActivityAt: ms(at(0))},
		user3: {UserID: user3, ActivitiesJoined: 1, ActivitiesLeft: 1, LastActivityAt: ms(at(0))},
	}, model.UserStatistics)
}

// The events each projector poisons: every projector decodes every row,
// and checks the payloads of the types it handles; an unknown type is
// nobody's.
func TestFoldCountsInvalidEventsPerService(t *testing.T) {
	_, stats := verify.Fold([]verify.Row{
		row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "", "")),
		row(user1, 2, typeUserUpdated, at(0), userPayload(user1, "")),
		withMetadata(row(user1, 3, typeUserDeleted, at(0), userPayload(user1, "")), `{"schema_version":2}`),
		withMetadata(row(activity1, 1, typeActivityCreated, at(0), activityPayload(activity1, `,"title":"Run"`)), `{"correlation_id":7}`),
		row(activity1, 2, typeParticipantJoined, at(0), participant(activity1, "ann")),
		row(activity1, 3, "ActivityRenamed", at(0), activityPayload(activity1, "")),
	})
	assert.Equal(t, map[verify.SkipReason]int{
		verify.SkipInvalidPayload: 2, verify.SkipUnsupportedSchemaVersion: 1, verify.SkipMalformedRow: 1, verify.SkipUnknownEventType: 1,
	}, stats.Skipped)
	assert.Equal(t, map[string]int{
		verify.ServiceUsers:      3, // the update, the deletion, the malformed row
		verify.ServiceActivities: 2, // the malformed row, the join
		verify.ServiceStatistics: 4,
	}, stats.Invalid)
}

// Two events of one aggregate with one version: Fold folds both and lists
// them, and the comparison fails on them whatever MongoDB holds.
func TestFoldReportsEventsSharingAVersion(t *testing.T) {
	first, second := row(user1, 2, typeUserUpdated, at(time.Second), userPayload(user1, `,"city":"Rome"`)),
		row(user1, 2, typeUserUpdated, at(time.Second), userPayload(user1, `,"city":"Oslo"`))
	first.EventID, second.EventID = "e0000000-0000-4000-8000-00000000000b", "e0000000-0000-4000-8000-00000000000a"
	third := second
	third.EventID = "e0000000-0000-4000-8000-00000000000c"
	model, stats := verify.Fold([]verify.Row{
		row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "", "")),
		first, second, third,
		row(user2, 1, typeUserCreated, at(0), userCreated(user2, "bob@example.com", "bob", "", "")),
		// Another aggregate type with the same id and version: no conflict.
		row(user2, 1, typeParticipantJoined, at(0), participant(user2, user1)),
	})
	assert.Equal(t, 6, stats.EventsApplied)
	want := verify.VersionConflict{AggregateType: aggregateUser, AggregateID: user1, Version: 2,
		EventIDs: []string{second.EventID, first.EventID, third.EventID}}
	require.Equal(t, []verify.VersionConflict{want}, model.Conflicts)

	diff := verify.Compare(model, model)
	assert.False(t, diff.OK(), "the read models match, the outbox does not")
	assert.Equal(t, model.Conflicts, diff.Conflicts)
	var out strings.Builder
	diff.Summary(&out, 10)
	assert.True(t, strings.HasPrefix(out.String(), "outbox: user "+user1+" version 2 is carried by 3 events ("+
		second.EventID+", "+first.EventID+", "+third.EventID+"); the outbox allows one\nusers: "), out.String())
}

// The outbox refuses a second event of an aggregate's version, whatever
// the spelling of its type: Fold's conflicts are for an outbox without the
// constraint.
func TestOutboxRefusesASharedVersion(t *testing.T) {
	outbox := newOutbox(t)
	outbox.insert(t, row(user1, 1, typeUserCreated, at(0), userCreated(user1, "ada@example.com", "ada", "", "")))
	again := row(user1, 1, typeUserUpdated, at(0), userPayload(user1, `,"city":"Rome"`))
	again.AggregateType = "User"
	_, err := outbox.conn.Exec(context.Background(), `INSERT INTO activity.event_outbox
		(event_id, aggregate_id, aggregate_type, aggregate_version, event_type, payload)
		VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
		again.EventID, again.AggregateID, again.AggregateType, again.AggregateVersion, again.EventType, string(again.Payload))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "event_outbox_aggregate_version_key")
}
