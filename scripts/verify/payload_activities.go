package verify

import "time"

// The activity events' payloads, as the fold uses them. The activity's id
// is the event's aggregate_id: a payload's activity_id may only repeat it.

// activityCreated is ActivityCreated's payload.
type activityCreated struct {
	CreatorID, Title, Description, Category, Location string
	StartsAt                                          time.Time
	// MaxParticipants is 0 for no limit.
	MaxParticipants int
}

// activityUpdated is ActivityUpdated's payload: nil for a field left out.
type activityUpdated struct {
	Title, Description, Category, Location *string
	StartsAt                               *time.Time
	MaxParticipants                        *int
}

// activityCancelled is ActivityCancelled's payload.
type activityCancelled struct {
	Reason string
}

// participant is the payload of ParticipantJoined and ParticipantLeft.
type participant struct {
	UserID string
}

func readActivityCreated(ev event) (activityCreated, error) {
	f := readFields(ev)
	f.ownID("activity_id", ev)
	p := activityCreated{
		CreatorID: f.uuid("creator_id"), Title: f.required("title"), Description: f.text("description"),
		Category: f.required("category"), Location: f.text("location"), StartsAt: f.requiredTime("starts_at"),
	}
	if n := f.optionalCount("max_participants"); n != nil {
		p.MaxParticipants = *n
	}
	return p, f.err(ev)
}

func readActivityUpdated(ev event) (activityUpdated, error) {
	f := readFields(ev)
	f.ownID("activity_id", ev)
	p := activityUpdated{
		Title: f.nonEmpty("title"), Description: f.optionalText("description"), Category: f.optionalText("category"),
		Location: f.optionalText("location"), StartsAt: f.optionalTime("starts_at"), MaxParticipants: f.optionalCount("max_participants"),
	}
	if p.Title == nil && p.Description == nil && p.Category == nil && p.Location == nil && p.StartsAt == nil && p.MaxParticipants == nil {
		f.fail("(any field)", "an update carries at least one of title, description, category, location, starts_at, max_participants")
	}
	return p, f.err(ev)
}

func readActivityCancelled(ev event) (activityCancelled, error) {
	f := readFields(ev)
	f.ownID("activity_id", ev)
	return activityCancelled{Reason: f.text("reason")}, f.err(ev)
}

func readParticipant(ev event) (participant, error) {
	f := readFields(ev)
	f.ownID("activity_id", ev)
	return participant{UserID: f.uuid("user_id")}, f.err(ev)
}
