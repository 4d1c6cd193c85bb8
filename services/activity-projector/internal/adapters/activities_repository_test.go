package adapters_test

import (
	"testing"
	"time"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/readmodel/readmodeltest"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

// Times with millisecond precision, as every time the read model keeps.
var (
	t0     = time.Date(2026, 11, 27, 10, 15, 30, 123_000_000, time.UTC)
	starts = time.Date(2026, 12, 5, 18, 30, 0, 250_000_000, time.UTC)
)

func ptr[T any](v T) *T { return &v }

// activitiesContract has the activities' fixtures: a scheduled activity
// nobody joined and a cancelled one with members, and the events of one
// activity's life, out of order.
func activitiesContract(newRepo func(*testing.T) readmodeltest.Repository[activity.Activity]) readmodeltest.Contract[activity.Activity] {
	return readmodeltest.Contract[activity.Activity]{
		New:   newRepo,
		Empty: func(id string) activity.Activity { return activity.Activity{ID: id} },
		Samples: func(id string) []activity.Activity {
			return []activity.Activity{scheduledActivity(id), cancelledActivity(id)}
		},
		Alter: alterActivity,
		Steps: []func(*activity.Activity) bool{
			func(a *activity.Activity) bool {
				return a.Join(3, t0.Add(3*time.Minute+456*time.Microsecond), events.ParticipantJoinedV1{ActivityID: "a1", UserID: "u2"})
			},
			func(a *activity.Activity) bool {
				return a.Create(1, t0.Add(time.Minute+789*time.Microsecond), events.ActivityCreatedV1{
					ActivityID: "a1", CreatorID: "u1", Title: "Run", Category: "running",
					StartsAt: starts.Add(123 * time.Microsecond), MaxParticipants: 5,
				})
			},
			func(a *activity.Activity) bool {
				return a.Join(2, t0.Add(2*time.Minute), events.ParticipantJoinedV1{ActivityID: "a1", UserID: "u3"})
			},
			func(a *activity.Activity) bool {
				return a.Update(4, t0.Add(4*time.Minute), events.ActivityUpdatedV1{ActivityID: "a1", Location: ptr("Park")})
			},
			func(a *activity.Activity) bool {
				return a.Leave(5, t0.Add(5*time.Minute), events.ParticipantLeftV1{ActivityID: "a1", UserID: "u2"})
			},
			func(a *activity.Activity) bool {
				return a.Cancel(6, t0.Add(6*time.Minute), events.ActivityCancelledV1{ActivityID: "a1", Reason: "rain"})
			},
		},
	}
}

// alterActivity renames the activity, claims the title for a later event
// and, where there are members and a cancellation time, changes a member
// and moves the time.
func alterActivity(a *activity.Activity) {
	a.Title, a.Version, a.Versions["title"] = "Renamed", 99, 99
	if a.Members != nil {
		a.Members["u-a"] = activity.Member{Joined: false, At: t0, Version: 99}
	}
	if a.CancelledAt != nil {
		*a.CancelledAt = t0.Add(99 * time.Hour)
	}
}

// scheduledActivity has every field of a scheduled activity nobody joined.
func scheduledActivity(id string) activity.Activity {
	return activity.Activity{
		ID: id, CreatorID: "u-creator", Title: "Morning run", Description: "5k easy", Category: "running",
		Location: "Hyde Park", StartsAt: starts, MaxParticipants: 10,
		Status:    activity.StatusScheduled,
		CreatedAt: t0,
		Head:      projection.Head{Version: 2, UpdatedAt: t0.Add(time.Minute)},
		Versions: projection.Versions{
			"creator_id": 1, "title": 2, "description": 1, "category": 1, "location": 1,
			"starts_at": 1, "max_participants": 1, "status": 1, "created_at": 1,
		},
	}
}

// cancelledActivity has every field set, members who joined (two at the
// same time) and one who left.
func cancelledActivity(id string) activity.Activity {
	return activity.Activity{
		ID: id, CreatorID: "u-creator", Title: "Evening swim", Description: "", Category: "swimming",
		Location: "Lido", StartsAt: starts, MaxParticipants: 0,
		Status:       activity.StatusCancelled,
		CancelledAt:  ptr(t0.Add(time.Hour)),
		CancelReason: "pool closed",
		CreatedAt:    t0,
		Members: map[string]activity.Member{
			"u-b": {Joined: true, At: t0.Add(2 * time.Minute), Version: 3},
			"u-a": {Joined: true, At: t0.Add(time.Minute), Version: 2},
			"u-0": {Joined: true, At: t0.Add(2 * time.Minute), Version: 4},
			"u-c": {Joined: false, At: t0.Add(4 * time.Minute), Version: 6},
		},
		Head: projection.Head{Version: 7, UpdatedAt: t0.Add(time.Hour)},
		Versions: projection.Versions{
			"creator_id": 1, "title": 1, "description": 1, "category": 1, "location": 5,
			"starts_at": 1, "max_participants": 1, "status": 7, "created_at": 1,
		},
	}
}

// partialActivity is an activity seen only through a join: no creation or
// start time, no field versions, one participant.
func partialActivity(id string) activity.Activity {
	return activity.Activity{
		ID: id, Status: activity.StatusScheduled,
		Members: map[string]activity.Member{"u1": {Joined: true, At: t0, Version: 2}},
		Head:    projection.Head{Version: 2, UpdatedAt: t0},
	}
}

// Both repositories of activities keep the contract of every read-model
// repository (shared/readmodel/readmodeltest).
func TestMemoryRepository(t *testing.T) {
	readmodeltest.Run(t, activitiesContract(readmodeltest.Memory[activity.Activity](adapters.NewActivitiesMemoryRepository)))
}

func TestMongoRepository(t *testing.T) {
	readmodeltest.Run(t, activitiesContract(readmodeltest.Mongo[activity.Activity](newMongoRepository)))
}
