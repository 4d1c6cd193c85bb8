// Package app holds the activity-projector's use cases: one method per
// event type, each turning an outbox event into a change of the activities
// read model.
package app

import (
	"context"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/registry"

	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

// Projector projects activity and participation events.
type Projector struct {
	activities activity.Repository
}

// NewProjector returns a projector writing to activities.
func NewProjector(activities activity.Repository) *Projector {
	return &Projector{activities: activities}
}

// ActivityCreated projects ActivityCreated.
func (p *Projector) ActivityCreated(ctx context.Context, ev outbox.Event) error {
	return projection.Project(ctx, p.activities, ev, (*activity.Activity).Create)
}

// ActivityUpdated projects ActivityUpdated.
func (p *Projector) ActivityUpdated(ctx context.Context, ev outbox.Event) error {
	return projection.Project(ctx, p.activities, ev, (*activity.Activity).Update)
}

// ActivityCancelled projects ActivityCancelled.
func (p *Projector) ActivityCancelled(ctx context.Context, ev outbox.Event) error {
	return projection.Project(ctx, p.activities, ev, (*activity.Activity).Cancel)
}

// ParticipantJoined projects ParticipantJoined.
func (p *Projector) ParticipantJoined(ctx context.Context, ev outbox.Event) error {
	return projection.Project(ctx, p.activities, ev, (*activity.Activity).Join)
}

// ParticipantLeft projects ParticipantLeft.
func (p *Projector) ParticipantLeft(ctx context.Context, ev outbox.Event) error {
	return projection.Project(ctx, p.activities, ev, (*activity.Activity).Leave)
}

// Registrations are the projector's handlers, all named "activities".
func (p *Projector) Registrations() []registry.Registration {
	return []registry.Registration{
		{EventType: events.ActivityCreated, Name: "activities", Fn: p.ActivityCreated},
		{EventType: events.ActivityUpdated, Name: "activities", Fn: p.ActivityUpdated},
		{EventType: events.ActivityCancelled, Name: "activities", Fn: p.ActivityCancelled},
		{EventType: events.ParticipantJoined, Name: "activities", Fn: p.ParticipantJoined},
		{EventType: events.ParticipantLeft, Name: "activities", Fn: p.ParticipantLeft},
	}
}
