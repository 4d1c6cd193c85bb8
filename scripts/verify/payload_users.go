package verify

import "strings"

// The user events' payloads, as the fold uses them. The user's id is the
// event's aggregate_id: a payload's user_id may only repeat it.

// userCreated is UserCreated's payload; version 2 reads as version 1.
type userCreated struct {
	Email, Username, FullName, City string
}

// userUpdated is UserUpdated's payload: nil for a field left out.
type userUpdated struct {
	Email, Username, FullName, City *string
}

// userDeleted is UserDeleted's payload.
type userDeleted struct {
	Reason string
}

// readUserCreated reads version 1 (full_name) and version 2 (name, in
// given and family parts, either of which may be empty).
func readUserCreated(ev event) (userCreated, error) {
	f := readFields(ev)
	f.ownID("user_id", ev)
	p := userCreated{Email: f.required("email"), Username: f.required("username"), City: f.text("city")}
	if ev.SchemaVersion == 2 {
		name := f.object("name")
		p.FullName = joinNonEmpty(name.text("given"), name.text("family"))
	} else {
		p.FullName = f.text("full_name")
	}
	return p, f.err(ev)
}

func readUserUpdated(ev event) (userUpdated, error) {
	f := readFields(ev)
	f.ownID("user_id", ev)
	p := userUpdated{Email: f.nonEmpty("email"), Username: f.nonEmpty("username"), FullName: f.optionalText("full_name"), City: f.optionalText("city")}
	if p.Email == nil && p.Username == nil && p.FullName == nil && p.City == nil {
		f.fail("(any field)", "an update carries at least one of email, username, full_name, city")
	}
	return p, f.err(ev)
}

func readUserDeleted(ev event) (userDeleted, error) {
	f := readFields(ev)
	f.ownID("user_id", ev)
	return userDeleted{Reason: f.text("reason")}, f.err(ev)
}

// joinNonEmpty joins the parts that are not empty with a space.
func joinNonEmpty(parts ...string) string {
	kept := parts[:0]
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " ")
}
