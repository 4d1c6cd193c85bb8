package activity

import (
	"slices"
	"strings"
)

// Participants lists the current participants, earliest joiner first (ties
// by user id), so the list is the same whatever order events arrived in.
func (a *Activity) Participants() []Participant {
	out := make([]Participant, 0, len(a.Members))
	for id, m := range a.Members {
		if m.Joined {
			out = append(out, Participant{UserID: id, JoinedAt: m.At})
		}
	}
	slices.SortFunc(out, func(x, y Participant) int {
		if c := x.JoinedAt.Compare(y.JoinedAt); c != 0 {
			return c
		}
		return strings.Compare(x.UserID, y.UserID)
	})
	return out
}

// ParticipantCount is len(Participants()), kept in the document so readers
// can filter and sort on it.
func (a *Activity) ParticipantCount() int {
	n := 0
	for _, m := range a.Members {
		if m.Joined {
			n++
		}
	}
	return n
}
