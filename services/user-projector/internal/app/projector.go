// Package app holds the user-projector's use cases: one method per event
// type, each turning an outbox event into a change of the users read model.
package app

import (
	"context"
	"time"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"

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
	return project(ctx, p.users, ev, (*user.User).Create)
}

// UserUpdated projects UserUpdated.
func (p *Projector) UserUpdated(ctx context.Context, ev outbox.Event) error {
	return project(ctx, p.users, ev, (*user.User).Update)
}

// UserDeleted projects UserDeleted.
func (p *Projector) UserDeleted(ctx context.Context, ev outbox.Event) error {
	return project(ctx, p.users, ev, (*user.User).Delete)
}

// project validates ev's payload (an invalid one is a permanent error) and
// applies it to the user it belongs to.
func project[P events.Payload](ctx context.Context, users user.Repository, ev outbox.Event,
	apply func(*user.User, int64, time.Time, P) bool,
) error {
	payload, err := events.Decode[P](ev)
	if err != nil {
		return err
	}
	return users.Update(ctx, ev.AggregateID, func(u *user.User) (bool, error) {
		return apply(u, ev.AggregateVersion, ev.CreatedAt, payload), nil
	})
}
