//go:build wireinject

package main

import (
	"context"

	"github.com/google/wire"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/service"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/activity-projector/internal/app"
)

func initRunner(ctx context.Context, cfg config.Config, env *config.Env) (*service.Runner, func(), error) {
	panic(wire.Build(service.ProviderSet, adapters.ProviderSet, app.NewProjector,
		wire.Bind(new(service.Projection), new(*app.Projector)), service.OutboxOnly))
}
