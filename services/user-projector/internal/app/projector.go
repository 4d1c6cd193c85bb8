// Package app holds the user-projector's use case: a batch of user events
// becomes one change of the users read model per event, stored together.
package app

import (
	"context"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/registry"

	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

// Projector projects user events.
type Projector struct {
	users user.Repository
}

// NewProjector returns a projector writing to users.
func NewProjector(users user.Repository) *Projector {
	return &Projector{users: users}
}

// steps say how each user event changes its user.
var steps = projection.Steps[user.User]{
	events.UserCreated: projection.StepOf((*user.User).Create),
	events.UserUpdated: projection.StepOf((*user.User).Update),
	events.UserDeleted: projection.StepOf((*user.User).Delete),
}

// Project projects a batch of user events: every user it touches is
// written once.
func (p *Projector) Project(ctx context.Context, evs []outbox.Event) error {
	return projection.ProjectBatch(ctx, p.users, steps, evs)
}

// Handlers is the projector's one handler, "users".
func (p *Projector) Handlers() []registry.Handler {
	return []registry.Handler{{Name: "users", EventTypes: steps.EventTypes(), Fn: p.Project}}
}
