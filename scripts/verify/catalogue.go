package verify

import (
	"maps"
	"slices"
)

// The event types, as docs/events.md names them.
const (
	typeUserCreated       = "UserCreated"
	typeUserUpdated       = "UserUpdated"
	typeUserDeleted       = "UserDeleted"
	typeActivityCreated   = "ActivityCreated"
	typeActivityUpdated   = "ActivityUpdated"
	typeActivityCancelled = "ActivityCancelled"
	typeParticipantJoined = "ParticipantJoined"
	typeParticipantLeft   = "ParticipantLeft"
)

// The projector services, by the name their poison topics carry
// (<service>.poison).
const (
	ServiceUsers      = "user-projector"
	ServiceActivities = "activity-projector"
	ServiceStatistics = "statistics-projector"
)

// Services are the projectors, in report order.
var Services = []string{ServiceUsers, ServiceActivities, ServiceStatistics}

// Which projectors handle an event type: the one of its aggregate's read
// model, and the statistics, which count every event.
var (
	userServices     = []string{ServiceUsers, ServiceStatistics}
	activityServices = []string{ServiceActivities, ServiceStatistics}
)

// eventType is what the catalogue says of one event type.
type eventType struct {
	// versions are the payload schema versions the projectors read.
	versions []int
	// services are the projectors that handle the type, and poison its
	// invalid events.
	services []string
	// apply reads the payload and folds the event into the model.
	apply func(*folder, event) error
}

// catalogue holds every event type the projectors handle; any other type
// is acknowledged and changes nothing.
var catalogue = map[string]eventType{
	typeUserCreated:       {[]int{1, 2}, userServices, handle(readUserCreated, (*folder).userCreated)},
	typeUserUpdated:       {[]int{1}, userServices, handle(readUserUpdated, (*folder).userUpdated)},
	typeUserDeleted:       {[]int{1}, userServices, handle(readUserDeleted, (*folder).userDeleted)},
	typeActivityCreated:   {[]int{1}, activityServices, handle(readActivityCreated, (*folder).activityCreated)},
	typeActivityUpdated:   {[]int{1}, activityServices, handle(readActivityUpdated, (*folder).activityUpdated)},
	typeActivityCancelled: {[]int{1}, activityServices, handle(readActivityCancelled, (*folder).activityCancelled)},
	typeParticipantJoined: {[]int{1}, activityServices, handle(readParticipant, (*folder).participantJoined)},
	typeParticipantLeft:   {[]int{1}, activityServices, handle(readParticipant, (*folder).participantLeft)},
}

// HandledEventTypes are the event types Fold applies.
func HandledEventTypes() []string { return slices.Sorted(maps.Keys(catalogue)) }

// handle reads an event's payload as P and applies it with apply.
func handle[P any](read func(event) (P, error), apply func(*folder, event, P)) func(*folder, event) error {
	return func(f *folder, ev event) error {
		p, err := read(ev)
		if err != nil {
			return err
		}
		apply(f, ev, p)
		return nil
	}
}
