// Command user-projector projects user events from the outbox topic into
// the users read model.
package main

import (
	"os"

	"github.com/activityapp/event-processor/shared/app"
)

func main() {
	os.Exit(app.Main("user-projector", initRunner))
}
