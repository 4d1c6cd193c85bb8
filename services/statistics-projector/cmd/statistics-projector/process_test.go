package main

import (
	"testing"

	"github.com/activityapp/event-processor/shared/app/apptest"
)

func TestBinary(t *testing.T) {
	bin := apptest.Binary(t)
	t.Run("invalid setting stops it at start", func(t *testing.T) { apptest.CheckConfigErrorStopsAtStart(t, bin) })
	t.Run("SIGTERM stops it cleanly", func(t *testing.T) { apptest.CheckGracefulStop(t, bin, service) })
}
