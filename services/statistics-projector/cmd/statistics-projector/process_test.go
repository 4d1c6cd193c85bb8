package main

import (
	"testing"

	"github.com/activityapp/event-processor/shared/service/servicetest"
)

func TestBinary(t *testing.T) {
	bin := servicetest.Binary(t)
	t.Run("invalid setting stops it at start", func(t *testing.T) { servicetest.CheckConfigErrorStopsAtStart(t, bin) })
	t.Run("SIGTERM stops it cleanly", func(t *testing.T) { servicetest.CheckGracefulStop(t, bin, serviceName) })
}
