// Command activity-projector projects activity and participation events from
// the outbox topic into the activities read model.
package main

import (
	"os"

	"github.com/activityapp/event-processor/shared/app"
)

func main() {
	os.Exit(app.Main("activity-projector", initRunner))
}
