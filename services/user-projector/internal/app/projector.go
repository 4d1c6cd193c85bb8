// Package app holds the user-projector's use cases: one method per event
// type, each turning an outbox event into a change of the users read model.
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

// UserCreated projects UserCreated.
func (p *Projector) UserCreated(ctx context.Context, ev outbox.Event) error {
	return projection.Project(ctx, p.users, ev, (*user.User).Create)
}

// UserUpdated projects UserUpdated.
func (p *Projector) UserUpdated(ctx context.Context, ev outbox.Event) error {
	return projection.Project(ctx, p.users, ev, (*user.User).Update)
}

// UserDeleted projects UserDeleted.
func (p *Projector) UserDeleted(ctx context.Context, ev outbox.Event) error {
	return projection.Project(ctx, p.users, ev, (*user.User).Delete)
}

// Registrations are the projector's handlers, all named "users".
func (p *Projector) Registrations() []registry.Registration {
	return []registry.Registration{
		{EventType: events.UserCreated, Name: "users", Fn: p.UserCreated},
		{EventType: events.UserUpdated, Name: "users", Fn: p.UserUpdated},
		{EventType: events.UserDeleted, Name: "users", Fn: p.UserDeleted},
	}
}
