// Command activity-projector projects activity and participation events from
// the outbox topic into the activities read model.
package main

import (
	"os"

	"github.com/activityapp/event-processor/shared/service"
)

func main() {
	os.Exit(service.Main("activity-projector", initRunner))
}
