// Package activity is the activity read model: an activity's details, its
// status and its participants, and how each activity event changes them.
package activity

import (
	"time"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/projection"
)

// Status of an activity.
type Status string

// Statuses.
const (
	StatusScheduled Status = "scheduled"
	StatusCancelled Status = "cancelled"
)

// Activity is one activity as the read model shows it.
type Activity struct {
	ID              string
	CreatorID       string
	Title           string
	Description     string
	Category        string
	Location        string
	StartsAt        time.Time
	MaxParticipants int
	Status          Status
	CancelledAt     *time.Time
	CancelReason    string
	CreatedAt       time.Time
	// Members holds every user who ever joined, with the event that last
	// changed their membership; Participants derives the current list.
	// Keeping those who left is what makes a late, older join harmless.
	Members map[string]Member
	projection.Head
	Versions projection.Versions
}

// Member is one user's membership of an activity.
type Member struct {
	Joined bool
	// At is when the user joined (or left, if Joined is false).
	At time.Time
	// Version of the event that last changed this membership.
	Version int64
}

// Participant is a current participant.
type Participant struct {
	UserID   string
	JoinedAt time.Time
}

// Repository keeps activities.
type Repository = projection.Repository[Activity]

const (
	fieldCreator         = "creator_id"
	fieldTitle           = "title"
	fieldDescription     = "description"
	fieldCategory        = "category"
	fieldLocation        = "location"
	fieldStartsAt        = "starts_at"
	fieldMaxParticipants = "max_participants"
	fieldStatus          = "status"
	fieldCreatedAt       = "created_at"
)

func set[T any](a *Activity, field string, version int64, dst *T, value T) bool {
	return projection.Set(&a.Versions, field, version, dst, value)
}

// Create applies ActivityCreated.
func (a *Activity) Create(version int64, at time.Time, p events.ActivityCreatedV1) bool {
	changed := set(a, fieldCreator, version, &a.CreatorID, p.CreatorID)
	changed = set(a, fieldTitle, version, &a.Title, p.Title) || changed
	changed = set(a, fieldDescription, version, &a.Description, p.Description) || changed
	changed = set(a, fieldCategory, version, &a.Category, p.Category) || changed
	changed = set(a, fieldLocation, version, &a.Location, p.Location) || changed
	changed = set(a, fieldStartsAt, version, &a.StartsAt, projection.Time(p.StartsAt)) || changed
	changed = set(a, fieldMaxParticipants, version, &a.MaxParticipants, p.MaxParticipants) || changed
	changed = set(a, fieldCreatedAt, version, &a.CreatedAt, projection.Time(at)) || changed
	changed = set(a, fieldStatus, version, &a.Status, StatusScheduled) || changed
	return a.Observe(version, at) || changed
}

// Update applies ActivityUpdated: only the fields it carries.
func (a *Activity) Update(version int64, at time.Time, p events.ActivityUpdatedV1) bool {
	changed := false
	if p.Title != nil {
		changed = set(a, fieldTitle, version, &a.Title, *p.Title) || changed
	}
	if p.Description != nil {
		changed = set(a, fieldDescription, version, &a.Description, *p.Description) || changed
	}
	if p.Category != nil {
		changed = set(a, fieldCategory, version, &a.Category, *p.Category) || changed
	}
	if p.Location != nil {
		changed = set(a, fieldLocation, version, &a.Location, *p.Location) || changed
	}
	if p.StartsAt != nil {
		changed = set(a, fieldStartsAt, version, &a.StartsAt, projection.Time(*p.StartsAt)) || changed
	}
	if p.MaxParticipants != nil {
		changed = set(a, fieldMaxParticipants, version, &a.MaxParticipants, *p.MaxParticipants) || changed
	}
	return a.seen(version, at) || changed
}

// Cancel applies ActivityCancelled.
func (a *Activity) Cancel(version int64, at time.Time, p events.ActivityCancelledV1) bool {
	changed := false
	if set(a, fieldStatus, version, &a.Status, StatusCancelled) {
		cancelledAt := projection.Time(at)
		a.CancelledAt, a.CancelReason = &cancelledAt, p.Reason
		changed = true
	}
	return a.Observe(version, at) || changed
}

// Join applies ParticipantJoined.
func (a *Activity) Join(version int64, at time.Time, p events.ParticipantJoinedV1) bool {
	changed := a.member(p.UserID, Member{Joined: true, At: projection.Time(at), Version: version})
	return a.seen(version, at) || changed
}

// Leave applies ParticipantLeft.
func (a *Activity) Leave(version int64, at time.Time, p events.ParticipantLeftV1) bool {
	changed := a.member(p.UserID, Member{Joined: false, At: projection.Time(at), Version: version})
	return a.seen(version, at) || changed
}

// member records m for userID unless a newer event already decided it.
func (a *Activity) member(userID string, m Member) bool {
	if cur, ok := a.Members[userID]; ok && cur.Version >= m.Version {
		return false
	}
	if a.Members == nil {
		a.Members = map[string]Member{}
	}
	a.Members[userID] = m
	return true
}

// seen moves the head for an event that does not carry the activity's
// status, and marks an activity first seen through such an event as
// scheduled; the status stays unclaimed for ActivityCreated or
// ActivityCancelled to decide whenever they arrive.
func (a *Activity) seen(version int64, at time.Time) bool {
	changed := false
	if a.Status == "" {
		a.Status = StatusScheduled
		changed = true
	}
	return a.Observe(version, at) || changed
}
