package verify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testAggregate = "10000000-0000-4000-8000-000000000001"
	testUser      = "20000000-0000-4000-8000-00000000000a"
)

func ptr[T any](v T) *T { return &v }

// readers read a payload as its type's struct, for the table below.
var readers = map[string]func(event) (any, error){
	typeUserCreated:       anyReader(readUserCreated),
	typeUserUpdated:       anyReader(readUserUpdated),
	typeUserDeleted:       anyReader(readUserDeleted),
	typeActivityCreated:   anyReader(readActivityCreated),
	typeActivityUpdated:   anyReader(readActivityUpdated),
	typeActivityCancelled: anyReader(readActivityCancelled),
	typeParticipantJoined: anyReader(readParticipant),
	typeParticipantLeft:   anyReader(readParticipant),
}

func anyReader[P any](read func(event) (P, error)) func(event) (any, error) {
	return func(ev event) (any, error) { return read(ev) }
}

// Every event type of docs/events.md, read as the catalogue there
// describes it: the payloads it accepts, and each case it refuses.
func TestReadPayload(t *testing.T) {
	startsAt := time.Date(2026, 3, 10, 18, 0, 0, 500000000, time.UTC)
	tests := []struct {
		name      string
		eventType string
		version   int // 1 when 0
		payload   string
		want      any
		// wantErr is part of the error; empty: the payload is valid.
		wantErr string
	}{
		// UserCreated, version 1.
		{"UserCreated, every field", typeUserCreated, 0,
			`{"user_id":"` + testAggregate + `","email":"a@b.c","username":"ann","full_name":"Ann Lee","city":"Oslo","bio":"ignored"}`,
			userCreated{Email: "a@b.c", Username: "ann", FullName: "Ann Lee", City: "Oslo"}, ""},
		{"UserCreated without user_id: the aggregate's", typeUserCreated, 0, `{"email":"a@b.c","username":"ann"}`,
			userCreated{Email: "a@b.c", Username: "ann"}, ""},
		{"UserCreated, null optional fields", typeUserCreated, 0, `{"email":"a@b.c","username":"ann","full_name":null,"city":null}`,
			userCreated{Email: "a@b.c", Username: "ann"}, ""},
		{"UserCreated without email", typeUserCreated, 0, `{"username":"ann"}`, nil, "payload.email: required"},
		{"UserCreated with an empty email", typeUserCreated, 0, `{"email":"","username":"ann"}`, nil, "payload.email: required"},
		{"UserCreated with a null email", typeUserCreated, 0, `{"email":null,"username":"ann"}`, nil, "payload.email: required"},
		{"UserCreated with email in another case", typeUserCreated, 0, `{"Email":"a@b.c","username":"ann"}`, nil, "payload.email: required"},
		{"UserCreated without username", typeUserCreated, 0, `{"email":"a@b.c"}`, nil, "payload.username: required"},
		{"UserCreated of another user", typeUserCreated, 0, `{"user_id":"` + testUser + `","email":"a@b.c","username":"ann"}`,
			nil, `payload.user_id: "` + testUser + `" is not the aggregate_id`},
		{"UserCreated with an empty user_id", typeUserCreated, 0, `{"user_id":"","email":"a@b.c","username":"ann"}`,
			nil, `payload.user_id: "" is not the aggregate_id`},
		{"UserCreated with a number for a string", typeUserCreated, 0, `{"email":"a@b.c","username":"ann","city":7}`,
			nil, "payload.city: want a string, got 7"},
		{"UserCreated not an object", typeUserCreated, 0, `["a@b.c"]`, nil, "payload: want a JSON object"},

		// UserCreated, version 2.
		{"UserCreated v2, the name in parts", typeUserCreated, 2,
			`{"user_id":"` + testAggregate + `","email":"a@b.c","username":"ann","name":{"given":"Ann","family":"Lee"},"city":"Oslo"}`,
			userCreated{Email: "a@b.c", Username: "ann", FullName: "Ann Lee", City: "Oslo"}, ""},
		{"UserCreated v2, the given name only", typeUserCreated, 2, `{"email":"a@b.c","username":"ann","name":{"given":"Ann","family":""}}`,
			userCreated{Email: "a@b.c", Username: "ann", FullName: "Ann"}, ""},
		{"UserCreated v2, the family name only", typeUserCreated, 2, `{"email":"a@b.c","username":"ann","name":{"family":"Lee"}}`,
			userCreated{Email: "a@b.c", Username: "ann", FullName: "Lee"}, ""},
		{"UserCreated v2 without a name; full_name is not a v2 field", typeUserCreated, 2,
			`{"email":"a@b.c","username":"ann","full_name":"Ann Lee"}`, userCreated{Email: "a@b.c", Username: "ann"}, ""},
		{"UserCreated v2, name not an object", typeUserCreated, 2, `{"email":"a@b.c","username":"ann","name":"Ann Lee"}`,
			nil, `payload.name: want a JSON object, got "Ann Lee"`},
		{"UserCreated v2, a name part not a string", typeUserCreated, 2, `{"email":"a@b.c","username":"ann","name":{"given":1}}`,
			nil, "payload.name.given: want a string, got 1"},
		{"UserCreated v2 without email", typeUserCreated, 2, `{"username":"ann","name":{"given":"Ann"}}`,
			nil, "payload.email: required"},

		// UserUpdated.
		{"UserUpdated, one field", typeUserUpdated, 0, `{"user_id":"` + testAggregate + `","city":"Rome"}`,
			userUpdated{City: ptr("Rome")}, ""},
		{"UserUpdated, every field, full_name and city emptied", typeUserUpdated, 0,
			`{"email":"b@c.d","username":"bob","full_name":"","city":""}`,
			userUpdated{Email: ptr("b@c.d"), Username: ptr("bob"), FullName: ptr(""), City: ptr("")}, ""},
		{"UserUpdated, a null field is left out", typeUserUpdated, 0, `{"email":null,"city":"Rome"}`,
			userUpdated{City: ptr("Rome")}, ""},
		{"UserUpdated without a field", typeUserUpdated, 0, `{"user_id":"` + testAggregate + `"}`,
			nil, "payload.(any field): an update carries at least one of email, username, full_name, city"},
		{"UserUpdated with only null fields", typeUserUpdated, 0, `{"city":null}`, nil, "payload.(any field)"},
		{"UserUpdated with an empty email", typeUserUpdated, 0, `{"email":""}`, nil, "payload.email: must not be empty"},
		{"UserUpdated with an empty username", typeUserUpdated, 0, `{"username":"","city":"Rome"}`, nil, "payload.username: must not be empty"},
		{"UserUpdated of another user", typeUserUpdated, 0, `{"user_id":"` + testUser + `","city":"Rome"}`, nil, "payload.user_id"},

		// UserDeleted.
		{"UserDeleted with a reason", typeUserDeleted, 0, `{"user_id":"` + testAggregate + `","reason":"gdpr"}`, userDeleted{Reason: "gdpr"}, ""},
		{"UserDeleted, nothing but the aggregate", typeUserDeleted, 0, `{}`, userDeleted{}, ""},
		{"UserDeleted of another user", typeUserDeleted, 0, `{"user_id":"` + testUser + `"}`, nil, "payload.user_id"},

		// ActivityCreated.
		{"ActivityCreated, every field", typeActivityCreated, 0,
			`{"activity_id":"` + testAggregate + `","creator_id":"` + testUser + `","title":"Run","description":"5 km","category":"sport",` +
				`"location":"Park","starts_at":"2026-03-10T18:00:00.5Z","max_participants":10}`,
			activityCreated{CreatorID: testUser, Title: "Run", Description: "5 km", Category: "sport", Location: "Park",
				StartsAt: startsAt, MaxParticipants: 10}, ""},
		{"ActivityCreated, the required fields only", typeActivityCreated, 0,
			`{"creator_id":"` + testUser + `","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00.5Z"}`,
			activityCreated{CreatorID: testUser, Title: "Run", Category: "sport", StartsAt: startsAt}, ""},
		{"ActivityCreated, max_participants 0: no limit", typeActivityCreated, 0,
			`{"creator_id":"` + testUser + `","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00.5Z","max_participants":0}`,
			activityCreated{CreatorID: testUser, Title: "Run", Category: "sport", StartsAt: startsAt}, ""},
		{"ActivityCreated without creator_id", typeActivityCreated, 0, `{"title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00Z"}`,
			nil, "payload.creator_id: required"},
		{"ActivityCreated, creator_id not a UUID", typeActivityCreated, 0,
			`{"creator_id":"bob","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00Z"}`, nil, `payload.creator_id: want a UUID, got "bob"`},
		{"ActivityCreated without title", typeActivityCreated, 0, `{"creator_id":"` + testUser + `","category":"sport","starts_at":"2026-03-10T18:00:00Z"}`,
			nil, "payload.title: required"},
		{"ActivityCreated without category", typeActivityCreated, 0, `{"creator_id":"` + testUser + `","title":"Run","starts_at":"2026-03-10T18:00:00Z"}`,
			nil, "payload.category: required"},
		{"ActivityCreated without starts_at", typeActivityCreated, 0, `{"creator_id":"` + testUser + `","title":"Run","category":"sport"}`,
			nil, "payload.starts_at: required"},
		{"ActivityCreated, starts_at not RFC 3339", typeActivityCreated, 0,
			`{"creator_id":"` + testUser + `","title":"Run","category":"sport","starts_at":"10/03/2026 18:00"}`,
			nil, `payload.starts_at: want an RFC 3339 time, got "10/03/2026 18:00"`},
		{"ActivityCreated, negative max_participants", typeActivityCreated, 0,
			`{"creator_id":"` + testUser + `","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00Z","max_participants":-1}`,
			nil, "payload.max_participants: must not be negative, got -1"},
		{"ActivityCreated, max_participants not an integer", typeActivityCreated, 0,
			`{"creator_id":"` + testUser + `","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00Z","max_participants":2.5}`,
			nil, "payload.max_participants: want an integer, got 2.5"},
		{"ActivityCreated, max_participants a string", typeActivityCreated, 0,
			`{"creator_id":"` + testUser + `","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00Z","max_participants":"10"}`,
			nil, `payload.max_participants: want an integer, got "10"`},
		{"ActivityCreated of another activity", typeActivityCreated, 0,
			`{"activity_id":"` + testUser + `","creator_id":"` + testUser + `","title":"Run","category":"sport","starts_at":"2026-03-10T18:00:00Z"}`,
			nil, "payload.activity_id"},
		{"ActivityCreated, every error at once", typeActivityCreated, 0, `{}`,
			nil, "payload.creator_id: required\npayload.title: required\npayload.category: required\npayload.starts_at: required"},

		// ActivityUpdated.
		{"ActivityUpdated, every field", typeActivityUpdated, 0,
			`{"activity_id":"` + testAggregate + `","title":"Walk","description":"","category":"leisure","location":"",` +
				`"starts_at":"2026-03-10T18:00:00.5Z","max_participants":0}`,
			activityUpdated{Title: ptr("Walk"), Description: ptr(""), Category: ptr("leisure"), Location: ptr(""),
				StartsAt: ptr(startsAt), MaxParticipants: ptr(0)}, ""},
		{"ActivityUpdated, one field", typeActivityUpdated, 0, `{"max_participants":4}`, activityUpdated{MaxParticipants: ptr(4)}, ""},
		{"ActivityUpdated without a field", typeActivityUpdated, 0, `{"activity_id":"` + testAggregate + `"}`, nil,
			"payload.(any field): an update carries at least one of title, description, category, location, starts_at, max_participants"},
		{"ActivityUpdated with an empty title", typeActivityUpdated, 0, `{"title":""}`, nil, "payload.title: must not be empty"},
		{"ActivityUpdated, negative max_participants", typeActivityUpdated, 0, `{"title":"Walk","max_participants":-3}`,
			nil, "payload.max_participants: must not be negative"},
		{"ActivityUpdated, starts_at not RFC 3339", typeActivityUpdated, 0, `{"title":"Walk","starts_at":"tomorrow"}`,
			nil, `payload.starts_at: want an RFC 3339 time, got "tomorrow"`},
		{"ActivityUpdated of another activity", typeActivityUpdated, 0, `{"activity_id":"` + testUser + `","title":"Walk"}`, nil, "payload.activity_id"},

		// ActivityCancelled.
		{"ActivityCancelled with a reason", typeActivityCancelled, 0, `{"activity_id":"` + testAggregate + `","reason":"rain"}`,
			activityCancelled{Reason: "rain"}, ""},
		{"ActivityCancelled, nothing but the aggregate", typeActivityCancelled, 0, `{}`, activityCancelled{}, ""},
		{"ActivityCancelled of another activity", typeActivityCancelled, 0, `{"activity_id":"` + testUser + `"}`, nil, "payload.activity_id"},

		// ParticipantJoined and ParticipantLeft.
		{"ParticipantJoined", typeParticipantJoined, 0, `{"activity_id":"` + testAggregate + `","user_id":"` + testUser + `"}`,
			participant{UserID: testUser}, ""},
		{"ParticipantJoined without activity_id", typeParticipantJoined, 0, `{"user_id":"` + testUser + `"}`, participant{UserID: testUser}, ""},
		{"ParticipantJoined without user_id", typeParticipantJoined, 0, `{"activity_id":"` + testAggregate + `"}`, nil, "payload.user_id: required"},
		{"ParticipantJoined, user_id not a UUID", typeParticipantJoined, 0, `{"user_id":"ann"}`, nil, `payload.user_id: want a UUID, got "ann"`},
		{"ParticipantJoined in another activity", typeParticipantJoined, 0, `{"activity_id":"` + testUser + `","user_id":"` + testUser + `"}`,
			nil, "payload.activity_id"},
		{"ParticipantLeft", typeParticipantLeft, 0, `{"activity_id":"` + testAggregate + `","user_id":"` + testUser + `"}`,
			participant{UserID: testUser}, ""},
		{"ParticipantLeft without user_id", typeParticipantLeft, 0, `{}`, nil, "payload.user_id: required"},
		{"ParticipantLeft in another activity", typeParticipantLeft, 0, `{"activity_id":"` + testUser + `","user_id":"` + testUser + `"}`,
			nil, "payload.activity_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event{ID: "e1", AggregateID: testAggregate, Type: tt.eventType, SchemaVersion: max(tt.version, 1),
				Payload: []byte(tt.payload)}
			got, err := readers[tt.eventType](ev)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, errInvalidPayload)
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// The catalogue reads version 1 of every type and version 2 of
// UserCreated, and nothing else.
func TestCatalogueVersions(t *testing.T) {
	for name, et := range catalogue {
		want := []int{1}
		if name == typeUserCreated {
			want = []int{1, 2}
		}
		assert.Equal(t, want, et.versions, name)
	}
	assert.Len(t, catalogue, 8)
}

func TestIsUUID(t *testing.T) {
	for _, s := range []string{testAggregate, "A0000000-0000-4000-8000-00000000000F", "00000000-0000-0000-0000-000000000000"} {
		assert.True(t, isUUID(s), s)
	}
	for _, s := range []string{"", "ann", "10000000000040008000000000000001", "10000000-0000-4000-8000-00000000000g",
		"{10000000-0000-4000-8000-000000000001}", "10000000-0000-4000-8000_000000000001", "10000000-0000-4000-8000-0000000000012"} {
		assert.False(t, isUUID(s), s)
	}
}
