//go:build wireinject

package main

import (
	"context"

	"github.com/google/wire"

	"github.com/activityapp/event-processor/shared/app"
	"github.com/activityapp/event-processor/shared/config"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	projector "github.com/activityapp/event-processor/services/activity-projector/internal/app"
)

func initRunner(ctx context.Context, cfg config.Config, env *config.Env) (*app.Runner, func(), error) {
	panic(wire.Build(app.ProviderSet, adapters.ProviderSet, projector.NewProjector,
		wire.Bind(new(app.Projection), new(*projector.Projector)), app.ConsumeOutbox))
}
