package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"

	"github.com/activityapp/event-processor/services/user-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/user-projector/internal/app"
	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

const userID = "6f1c2a4e-8d7b-4c1e-9a55-2b3c4d5e6f70"

// t0 has sub-millisecond digits, which the read model drops.
var t0 = time.Date(2026, 11, 27, 10, 15, 30, 123_456_789, time.UTC)

// at is the created_at of the event at version v.
func at(v int64) time.Time { return t0.Add(time.Duration(v) * time.Minute) }

// ms is t as the read model keeps it.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func ptr[T any](v T) *T { return &v }

func event(t *testing.T, eventType string, version int64, payload any) outbox.Event {
	t.Helper()
	raw, ok := payload.(string)
	if !ok {
		b, err := json.Marshal(payload)
		require.NoError(t, err)
		raw = string(b)
	}
	return outbox.Event{
		EventID:          fmt.Sprintf("00000000-0000-4000-8000-%012d", version),
		AggregateID:      userID,
		AggregateType:    events.AggregateUser,
		AggregateVersion: version,
		EventType:        eventType,
		SchemaVersion:    1,
		Payload:          json.RawMessage(raw),
		CreatedAt:        at(version),
	}
}

func created(t *testing.T, version int64) outbox.Event {
	return event(t, events.UserCreated, version, events.UserCreatedV1{
		UserID: userID, Email: "ada@example.com", Username: "ada", FullName: "Ada Lovelace", City: "London",
	})
}

func setup() (*app.Projector, *adapters.UsersMemoryRepository) {
	repo := adapters.NewUsersMemoryRepository()
	return app.NewProjector(repo), repo
}

func stored(t *testing.T, repo user.Repository) (user.User, bool) {
	t.Helper()
	u, found, err := repo.Get(t.Context(), userID)
	require.NoError(t, err)
	return u, found
}

func TestUserCreated(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), created(t, 1)))

	u, found := stored(t, repo)
	require.True(t, found)
	assert.Equal(t, user.User{
		ID: userID, Email: "ada@example.com", Username: "ada", FullName: "Ada Lovelace", City: "London",
		Status: user.StatusActive, CreatedAt: ms(at(1)),
		Head:     projection.Head{Version: 1, UpdatedAt: ms(at(1))},
		Versions: projection.Versions{"email": 1, "username": 1, "full_name": 1, "city": 1, "status": 1, "created_at": 1},
	}, u)
}

// A payload without user_id (as the prototype's rows are written) is the
// row's aggregate's.
func TestUserCreatedWithoutUserID(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), event(t, events.UserCreated, 1, events.UserCreatedV1{Email: "test@example.com", Username: "testuser"})))

	u, found := stored(t, repo)
	require.True(t, found)
	assert.Equal(t, userID, u.ID)
	assert.Equal(t, "test@example.com", u.Email)
	assert.Equal(t, "testuser", u.Username)
}

func TestUserUpdated(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	require.NoError(t, one(p)(t.Context(), event(t, events.UserUpdated, 2,
		events.UserUpdatedV1{UserID: userID, City: ptr("Paris"), FullName: ptr("")})))

	u, _ := stored(t, repo)
	assert.Equal(t, user.User{
		ID: userID, Email: "ada@example.com", Username: "ada", FullName: "", City: "Paris",
		Status: user.StatusActive, CreatedAt: ms(at(1)),
		Head:     projection.Head{Version: 2, UpdatedAt: ms(at(2))},
		Versions: projection.Versions{"email": 1, "username": 1, "full_name": 2, "city": 2, "status": 1, "created_at": 1},
	}, u, "only the fields the update carries change; an empty full name clears it")
}

func TestUserDeleted(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	require.NoError(t, one(p)(t.Context(), event(t, events.UserDeleted, 2,
		events.UserDeletedV1{UserID: userID, Reason: "requested"})))

	u, _ := stored(t, repo)
	assert.Equal(t, user.User{
		ID: userID, Status: user.StatusDeleted, CreatedAt: ms(at(1)),
		DeletedAt: ptr(ms(at(2))), DeletionReason: "requested",
		Head:     projection.Head{Version: 2, UpdatedAt: ms(at(2))},
		Versions: projection.Versions{"email": 2, "username": 2, "full_name": 2, "city": 2, "status": 2, "created_at": 1},
	}, u, "personal fields erased, tombstone kept")
}

func TestRedeliveredAndStaleEventsChangeNothing(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	require.NoError(t, one(p)(t.Context(), event(t, events.UserDeleted, 3, events.UserDeletedV1{UserID: userID})))
	want, _ := stored(t, repo)

	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	require.NoError(t, one(p)(t.Context(), event(t, events.UserDeleted, 3, events.UserDeletedV1{UserID: userID})))
	require.NoError(t, one(p)(t.Context(), event(t, events.UserUpdated, 2,
		events.UserUpdatedV1{UserID: userID, Email: ptr("back@example.com")})))
	got, _ := stored(t, repo)
	assert.Equal(t, want, got, "a late update does not bring a deleted user back")
}

func TestHandlers(t *testing.T) {
	p, _ := setup()
	hs := p.Handlers()
	require.Len(t, hs, 1)
	assert.Equal(t, "users", hs[0].Name)
	assert.ElementsMatch(t, []string{events.UserCreated, events.UserUpdated, events.UserDeleted}, hs[0].EventTypes)
}

// one projects a single event as a batch of one.
func one(p *app.Projector) func(context.Context, outbox.Event) error {
	return func(ctx context.Context, ev outbox.Event) error { return p.Project(ctx, []outbox.Event{ev}) }
}

// An invalid event is a permanent error (the poison queue takes it) and
// changes nothing, whether the user exists or not.
func TestInvalidEventsArePermanentAndChangeNothing(t *testing.T) {
	const other = "0b0b0b0b-0000-4000-8000-000000000000"
	unknownVersion := func(ev outbox.Event) outbox.Event { ev.SchemaVersion = 9; return ev } // a version no build reads
	tests := []struct {
		name    string
		project func(*app.Projector) func(context.Context, outbox.Event) error
		event   outbox.Event
	}{
		{"created without email", create, event(t, events.UserCreated, 5, events.UserCreatedV1{UserID: userID, Username: "ada"})},
		{"created without username", create, event(t, events.UserCreated, 5, events.UserCreatedV1{UserID: userID, Email: "a@x"})},
		{"created for another user", create, event(t, events.UserCreated, 5, events.UserCreatedV1{UserID: other, Email: "a@x", Username: "ada"})},
		{"created with an unknown schema version", create, unknownVersion(created(t, 5))},
		{"created with a payload that is no object", create, event(t, events.UserCreated, 5, `["ada@example.com"]`)},
		{"created with a field of the wrong type", create, event(t, events.UserCreated, 5, `{"user_id":"`+userID+`","email":1,"username":"ada"}`)},
		{"updated without any field", update, event(t, events.UserUpdated, 5, events.UserUpdatedV1{UserID: userID})},
		{"updated with an empty email", update, event(t, events.UserUpdated, 5, events.UserUpdatedV1{UserID: userID, Email: ptr("")})},
		{"updated with an empty username", update, event(t, events.UserUpdated, 5, events.UserUpdatedV1{UserID: userID, Username: ptr("")})},
		{"updated for another user", update, event(t, events.UserUpdated, 5, events.UserUpdatedV1{UserID: other, City: ptr("Paris")})},
		{"updated with an unknown schema version", update, unknownVersion(event(t, events.UserUpdated, 5, events.UserUpdatedV1{UserID: userID, City: ptr("Paris")}))},
		{"deleted for another user", remove, event(t, events.UserDeleted, 5, events.UserDeletedV1{UserID: other})},
		{"deleted with an unknown schema version", remove, unknownVersion(event(t, events.UserDeleted, 5, events.UserDeletedV1{UserID: userID}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Absent user: nothing is created.
			p, repo := setup()
			err := tt.project(p)(t.Context(), tt.event)
			require.Error(t, err)
			assert.True(t, fault.IsPermanent(err), "%v", err)
			assert.ErrorIs(t, err, events.ErrInvalidPayload)
			_, found := stored(t, repo)
			assert.False(t, found)

			// Existing user: unchanged.
			require.NoError(t, one(p)(t.Context(), created(t, 1)))
			want, _ := stored(t, repo)
			err = tt.project(p)(t.Context(), tt.event)
			require.Error(t, err)
			assert.True(t, fault.IsPermanent(err), "%v", err)
			got, _ := stored(t, repo)
			assert.Equal(t, want, got)
		})
	}
}

func create(p *app.Projector) func(context.Context, outbox.Event) error { return one(p) }
func update(p *app.Projector) func(context.Context, outbox.Event) error { return one(p) }
func remove(p *app.Projector) func(context.Context, outbox.Event) error { return one(p) }

// failingRepository fails every call, as MongoDB does while unreachable.
type failingRepository struct{ err error }

func (r failingRepository) Get(context.Context, string) (user.User, bool, error) {
	return user.User{}, false, r.err
}

func (r failingRepository) UpdateBatch(context.Context, []projection.Change[user.User]) error {
	return r.err
}

// A store failure is transient: the message is retried, never poisoned.
func TestRepositoryErrorsAreTransient(t *testing.T) {
	errDown := errors.New("mongodb: connection refused")
	p := app.NewProjector(failingRepository{err: errDown})
	for _, tt := range []struct {
		project func(context.Context, outbox.Event) error
		event   outbox.Event
	}{
		{one(p), created(t, 1)},
		{one(p), event(t, events.UserUpdated, 2, events.UserUpdatedV1{UserID: userID, City: ptr("Paris")})},
		{one(p), event(t, events.UserDeleted, 3, events.UserDeletedV1{UserID: userID})},
	} {
		err := tt.project(t.Context(), tt.event)
		require.ErrorIs(t, err, errDown, tt.event.EventType)
		assert.False(t, fault.IsPermanent(err), tt.event.EventType)
	}
}
