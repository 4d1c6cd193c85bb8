package verify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/verify"
)

// sampleModel has one document in every collection.
func sampleModel() verify.Model {
	return verify.Model{
		Users: map[string]verify.User{user1: {
			Email: "ada@example.com", Username: "ada", FullName: "Ada", City: "Paris", Status: verify.UserActive,
			CreatedAt: ms(at(0)), Version: 2, UpdatedAt: ms(at(time.Second)),
		}},
		Activities: map[string]verify.Activity{activity1: {
			CreatorID: user1, Title: "Run", Category: "sport", StartsAt: ms(at(time.Hour)),
			Status: verify.ActivityScheduled, CreatedAt: ms(at(0)), Version: 3, UpdatedAt: ms(at(2 * time.Second)),
			Participants:     map[string]time.Time{user1: ms(at(time.Second)), user2: ms(at(2 * time.Second))},
			ParticipantCount: 2,
		}},
		UserStatistics: map[string]verify.UserStatistics{user1: {
			UserID: user1, ActivitiesCreated: 1, ActivitiesJoined: 1, LastActivityAt: ms(at(time.Second)),
		}},
		DailyStatistics: map[string]verify.DailyStatistics{
			"2026-03-01/UserCreated": {Day: "2026-03-01", EventType: "UserCreated", Count: 1},
		},
	}
}

func TestCompareEqualModels(t *testing.T) {
	diff := verify.Compare(sampleModel(), sampleModel())
	require.True(t, diff.OK())

	var out strings.Builder
	diff.Summary(&out, 10)
	assert.Equal(t, ""+
		"users: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n"+
		"activities: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n"+
		"user_statistics: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n"+
		"daily_statistics: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n",
		out.String())
}

// Every kind of difference is reported with its collection, id and field,
// and nothing else is.
func TestCompareReportsEachKindOfMismatch(t *testing.T) {
	tests := []struct {
		name string
		// corrupt changes the MongoDB side.
		corrupt func(m *verify.Model)
		// line is the summary's collection line, example its example.
		line, example string
	}{
		{
			"missing document",
			func(m *verify.Model) { delete(m.Users, user1) },
			"users: 1 expected, 0 in MongoDB, 1 missing, 0 unexpected, 0 with wrong fields",
			"users/" + user1 + ": missing from MongoDB",
		},
		{
			"unexpected document",
			func(m *verify.Model) {
				m.DailyStatistics["2026-03-02/UserCreated"] = verify.DailyStatistics{Day: "2026-03-02", EventType: "UserCreated", Count: 1}
			},
			"daily_statistics: 1 expected, 2 in MongoDB, 0 missing, 1 unexpected, 0 with wrong fields",
			"daily_statistics/2026-03-02/UserCreated: in MongoDB, not explained by the outbox",
		},
		{
			"wrong scalar field",
			func(m *verify.Model) {
				u := m.Users[user1]
				u.Email = "eve@example.com"
				m.Users[user1] = u
			},
			"users: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 1 with wrong fields",
			"users/" + user1 + `: email: want "ada@example.com" got "eve@example.com"`,
		},
		{
			"participant missing from the set",
			func(m *verify.Model) { delete(m.Activities[activity1].Participants, user2) },
			"activities: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 1 with wrong fields",
			"activities/" + activity1 + ": participants[" + user2 + "]: want 2026-03-02T00:00:00.123Z got absent",
		},
		{
			"participant the outbox does not explain",
			func(m *verify.Model) { m.Activities[activity1].Participants[user3] = ms(at(0)) },
			"activities: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 1 with wrong fields",
			"activities/" + activity1 + ": participants[" + user3 + "]: want absent got 2026-03-01T23:59:58.123Z",
		},
		{
			"participant with another joined_at",
			func(m *verify.Model) { m.Activities[activity1].Participants[user1] = ms(at(0)) },
			"activities: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 1 with wrong fields",
			"activities/" + activity1 + ": participants[" + user1 + "]: want 2026-03-01T23:59:59.123Z got 2026-03-01T23:59:58.123Z",
		},
		{
			"wrong participant_count",
			func(m *verify.Model) {
				a := m.Activities[activity1]
				a.ParticipantCount = 3
				m.Activities[activity1] = a
			},
			"activities: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 1 with wrong fields",
			"activities/" + activity1 + ": participant_count: want 2 got 3",
		},
		{
			"wrong count",
			func(m *verify.Model) {
				d := m.DailyStatistics["2026-03-01/UserCreated"]
				d.Count = 2
				m.DailyStatistics["2026-03-01/UserCreated"] = d
			},
			"daily_statistics: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 1 with wrong fields",
			"daily_statistics/2026-03-01/UserCreated: count: want 1 got 2",
		},
		{
			"wrong time by one millisecond",
			func(m *verify.Model) {
				s := m.UserStatistics[user1]
				s.LastActivityAt = s.LastActivityAt.Add(time.Millisecond)
				m.UserStatistics[user1] = s
			},
			"user_statistics: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 1 with wrong fields",
			"user_statistics/" + user1 + ": last_activity_at: want 2026-03-01T23:59:59.123Z got 2026-03-01T23:59:59.124Z",
		},
		{
			"time that should be null",
			func(m *verify.Model) {
				u := m.Users[user1]
				u.DeletedAt = ms(at(0))
				m.Users[user1] = u
			},
			"users: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 1 with wrong fields",
			"users/" + user1 + ": deleted_at: want null got 2026-03-01T23:59:58.123Z",
		},
		{
			"document that does not decode",
			func(m *verify.Model) {
				delete(m.DailyStatistics, "2026-03-01/UserCreated")
				m.Unreadable = []verify.UnreadableDocument{{Collection: verify.CollectionDailyStatistics, ID: "2026-03-01/UserCreated", Reason: "count: not an integer"}}
			},
			"daily_statistics: 1 expected, 1 in MongoDB, 0 missing, 0 unexpected, 1 with wrong fields",
			"daily_statistics/2026-03-01/UserCreated: (document): want a readable document got count: not an integer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sampleModel()
			tt.corrupt(&got)
			diff := verify.Compare(sampleModel(), got)
			require.False(t, diff.OK())

			var out strings.Builder
			diff.Summary(&out, 10)
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			require.Len(t, lines, 5, out.String())
			assert.Contains(t, lines[:4], tt.line)
			assert.Equal(t, "  "+tt.example, lines[4], "the one example")
		})
	}
}

func TestCompareListsFieldMismatchesPrecisely(t *testing.T) {
	got := sampleModel()
	a := got.Activities[activity1]
	a.Title, a.Status, a.StartsAt = "Walk", verify.ActivityCancelled, time.Time{}
	got.Activities[activity1] = a

	diff := verify.Compare(sampleModel(), got)
	assert.Equal(t, []verify.Mismatch{
		{Collection: "activities", ID: activity1, Field: "title", Want: `"Run"`, Got: `"Walk"`},
		{Collection: "activities", ID: activity1, Field: "starts_at", Want: "2026-03-02T00:59:58.123Z", Got: "null"},
		{Collection: "activities", ID: activity1, Field: "status", Want: `"scheduled"`, Got: `"cancelled"`},
	}, diff.Activities.Mismatches)
	assert.Equal(t, 1, diff.Activities.WrongDocuments())
	assert.True(t, diff.Users.OK())
	assert.True(t, diff.UserStatistics.OK())
	assert.True(t, diff.DailyStatistics.OK())
}

func TestSummaryLimitsExamplesPerCollection(t *testing.T) {
	want := verify.NewModel()
	for _, id := range []string{user1, user2, user3} {
		want.Users[id] = verify.User{Status: verify.UserActive, Version: 1}
	}
	diff := verify.Compare(want, verify.NewModel())
	require.Equal(t, []string{user1, user2, user3}, diff.Users.Missing)

	var out strings.Builder
	diff.Summary(&out, 2)
	assert.Equal(t, ""+
		"users: 3 expected, 0 in MongoDB, 3 missing, 0 unexpected, 0 with wrong fields\n"+
		"activities: 0 expected, 0 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n"+
		"user_statistics: 0 expected, 0 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n"+
		"daily_statistics: 0 expected, 0 in MongoDB, 0 missing, 0 unexpected, 0 with wrong fields\n"+
		"  users/"+user1+": missing from MongoDB\n"+
		"  users/"+user2+": missing from MongoDB\n"+
		"  users: ... and 1 more\n",
		out.String())

	out.Reset()
	diff.Summary(&out, 0)
	assert.Equal(t, 4, strings.Count(out.String(), "\n"), "no examples")
}
