//go:build wireinject

package main

import (
	"context"

	"github.com/google/wire"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/service"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/app"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/ports"
)

func initRunner(ctx context.Context, cfg config.Config, env *config.Env) (*service.Runner, func(), error) {
	panic(wire.Build(service.ProviderSet, adapters.ProviderSet, app.NewFanout, app.NewWriter,
		wire.Bind(new(service.Projection), new(*app.Fanout)), ports.ProviderSet))
}
