// Command user-projector projects user events from the outbox topic into
// the users read model.
package main

import (
	"os"

	"github.com/activityapp/event-processor/shared/service"
)

func main() {
	os.Exit(service.Main("user-projector", initRunner))
}
