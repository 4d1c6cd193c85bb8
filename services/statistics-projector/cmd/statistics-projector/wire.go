//go:build wireinject

package main

import (
	"context"

	"github.com/google/wire"

	"github.com/activityapp/event-processor/shared/app"
	"github.com/activityapp/event-processor/shared/config"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	statsapp "github.com/activityapp/event-processor/services/statistics-projector/internal/app"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/ports"
)

func initRunner(ctx context.Context, cfg config.Config, env *config.Env) (*app.Runner, func(), error) {
	panic(wire.Build(app.ProviderSet, adapters.ProviderSet, statsapp.NewFanout, statsapp.NewWriter, ports.ProviderSet))
}
