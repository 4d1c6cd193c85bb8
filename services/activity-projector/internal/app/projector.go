// Package app holds the activity-projector's use case: a batch of activity
// and participation events becomes one change of the activities read model
// per event, stored together.
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

// steps say how each event changes its activity.
var steps = projection.Steps[activity.Activity]{
	events.ActivityCreated:   projection.StepOf((*activity.Activity).Create),
	events.ActivityUpdated:   projection.StepOf((*activity.Activity).Update),
	events.ActivityCancelled: projection.StepOf((*activity.Activity).Cancel),
	events.ParticipantJoined: projection.StepOf((*activity.Activity).Join),
	events.ParticipantLeft:   projection.StepOf((*activity.Activity).Leave),
}

// Project projects a batch of events: every activity it touches is written
// once.
func (p *Projector) Project(ctx context.Context, evs []outbox.Event) error {
	return projection.ProjectBatch(ctx, p.activities, steps, evs)
}

// Handlers is the projector's one handler, "activities".
func (p *Projector) Handlers() []registry.Handler {
	return []registry.Handler{{Name: "activities", EventTypes: steps.EventTypes(), Fn: p.Project}}
}
