package events

import (
	"errors"
	"time"
)

// ActivityCreatedV1 is the payload of ActivityCreated (aggregate: activity).
type ActivityCreatedV1 struct {
	ActivityID      string    `json:"activity_id"`
	CreatorID       string    `json:"creator_id"`
	Title           string    `json:"title"`
	Description     string    `json:"description,omitempty"`
	Category        string    `json:"category"`
	Location        string    `json:"location,omitempty"`
	StartsAt        time.Time `json:"starts_at"`
	MaxParticipants int       `json:"max_participants,omitempty"`
}

func (p *ActivityCreatedV1) ownID() *string { return &p.ActivityID }

func (p ActivityCreatedV1) validate(aggregateID string) error {
	var errNegative error
	if p.MaxParticipants < 0 {
		errNegative = errors.New("max_participants: must not be negative")
	}
	var errStarts error
	if p.StartsAt.IsZero() {
		errStarts = errors.New("starts_at: required")
	}
	return errors.Join(
		sameAggregate("activity_id", p.ActivityID, aggregateID),
		required("creator_id", p.CreatorID),
		required("title", p.Title),
		required("category", p.Category),
		errStarts, errNegative,
	)
}

// ActivityUpdatedV1 is the payload of ActivityUpdated: only changed fields.
type ActivityUpdatedV1 struct {
	ActivityID      string     `json:"activity_id"`
	Title           *string    `json:"title,omitempty"`
	Description     *string    `json:"description,omitempty"`
	Category        *string    `json:"category,omitempty"`
	Location        *string    `json:"location,omitempty"`
	StartsAt        *time.Time `json:"starts_at,omitempty"`
	MaxParticipants *int       `json:"max_participants,omitempty"`
}

func (p *ActivityUpdatedV1) ownID() *string { return &p.ActivityID }

func (p ActivityUpdatedV1) validate(aggregateID string) error {
	if err := sameAggregate("activity_id", p.ActivityID, aggregateID); err != nil {
		return err
	}
	if p.Title == nil && p.Description == nil && p.Category == nil && p.Location == nil &&
		p.StartsAt == nil && p.MaxParticipants == nil {
		return errors.New("(any field): an update changes at least one field")
	}
	if p.Title != nil && *p.Title == "" {
		return errors.New("title: must not be empty")
	}
	if p.MaxParticipants != nil && *p.MaxParticipants < 0 {
		return errors.New("max_participants: must not be negative")
	}
	return nil
}

// ActivityCancelledV1 is the payload of ActivityCancelled.
type ActivityCancelledV1 struct {
	ActivityID string `json:"activity_id"`
	Reason     string `json:"reason,omitempty"`
}

func (p *ActivityCancelledV1) ownID() *string { return &p.ActivityID }

func (p ActivityCancelledV1) validate(aggregateID string) error {
	return sameAggregate("activity_id", p.ActivityID, aggregateID)
}

// ParticipantJoinedV1 is the payload of ParticipantJoined. Its aggregate is
// the activity, so joins and leaves are ordered with the activity's other
// events; the join time is the event's created_at.
type ParticipantJoinedV1 struct {
	ActivityID string `json:"activity_id"`
	UserID     string `json:"user_id"`
}

func (p *ParticipantJoinedV1) ownID() *string { return &p.ActivityID }

func (p ParticipantJoinedV1) validate(aggregateID string) error {
	return errors.Join(sameAggregate("activity_id", p.ActivityID, aggregateID), required("user_id", p.UserID))
}

// ParticipantLeftV1 is the payload of ParticipantLeft (aggregate: activity).
type ParticipantLeftV1 struct {
	ActivityID string `json:"activity_id"`
	UserID     string `json:"user_id"`
}

func (p *ParticipantLeftV1) ownID() *string { return &p.ActivityID }

func (p ParticipantLeftV1) validate(aggregateID string) error {
	return errors.Join(sameAggregate("activity_id", p.ActivityID, aggregateID), required("user_id", p.UserID))
}
