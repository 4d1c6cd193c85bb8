// Command statistics-projector keeps per-user and per-day statistics of the
// outbox events, exactly once per event.
package main

import (
	"os"

	"github.com/activityapp/event-processor/shared/service"
)

func main() {
	os.Exit(service.Main("statistics-projector", initRunner))
}
