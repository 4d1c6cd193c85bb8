package verify

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Mismatch is one reader-facing field whose stored value differs from the
// expected one. Want and Got are printable values: strings quoted, times
// RFC 3339 UTC with milliseconds, null and absent spelled out.
type Mismatch struct {
	Collection string
	ID         string
	Field      string
	Want       string
	Got        string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s/%s: %s: want %s got %s", m.Collection, m.ID, m.Field, m.Want, m.Got)
}

// CollectionDiff is how one collection differs from the expected model.
type CollectionDiff struct {
	Collection string
	// Expected and Actual count the documents on each side.
	Expected int
	Actual   int
	// Missing are expected ids MongoDB does not hold; Unexpected are ids
	// MongoDB holds that the outbox does not explain. Both sorted.
	Missing    []string
	Unexpected []string
	// Mismatches are the wrong fields of documents on both sides, by id
	// and then in the document's field order.
	Mismatches []Mismatch
}

// OK reports whether the collection matches.
func (c CollectionDiff) OK() bool {
	return len(c.Missing) == 0 && len(c.Unexpected) == 0 && len(c.Mismatches) == 0
}

// WrongDocuments is the number of documents with at least one wrong field.
func (c CollectionDiff) WrongDocuments() int {
	n := 0
	for i, m := range c.Mismatches {
		if i == 0 || m.ID != c.Mismatches[i-1].ID {
			n++
		}
	}
	return n
}

// Compared is the number of distinct documents compared: expected ones and
// the unexpected ones MongoDB added.
func (c CollectionDiff) Compared() int { return c.Expected + len(c.Unexpected) }

// Diff is how the read models differ from the expected model.
type Diff struct {
	Users           CollectionDiff
	Activities      CollectionDiff
	UserStatistics  CollectionDiff
	DailyStatistics CollectionDiff
	// Conflicts are the expected model's: events the outbox should never
	// hold, whose outcome the verifier cannot tell.
	Conflicts []VersionConflict
}

// Collections are the per-collection diffs in report order.
func (d Diff) Collections() []CollectionDiff {
	return []CollectionDiff{d.Users, d.Activities, d.UserStatistics, d.DailyStatistics}
}

// OK reports whether every collection matches and the outbox has no
// version conflict.
func (d Diff) OK() bool {
	if len(d.Conflicts) > 0 {
		return false
	}
	for _, c := range d.Collections() {
		if !c.OK() {
			return false
		}
	}
	return true
}

// Compare compares every reader-facing field of want (from the outbox) and
// got (from MongoDB), and carries want's version conflicts over.
func Compare(want, got Model) Diff {
	unreadable := map[string]map[string]string{}
	for _, u := range got.Unreadable {
		if unreadable[u.Collection] == nil {
			unreadable[u.Collection] = map[string]string{}
		}
		unreadable[u.Collection][u.ID] = u.Reason
	}
	return Diff{
		Users:           compareCollection(CollectionUsers, want.Users, got.Users, unreadable[CollectionUsers], userFields),
		Activities:      compareCollection(CollectionActivities, want.Activities, got.Activities, unreadable[CollectionActivities], activityFields),
		UserStatistics:  compareCollection(CollectionUserStatistics, want.UserStatistics, got.UserStatistics, unreadable[CollectionUserStatistics], userStatisticsFields),
		DailyStatistics: compareCollection(CollectionDailyStatistics, want.DailyStatistics, got.DailyStatistics, unreadable[CollectionDailyStatistics], dailyStatisticsFields),
		Conflicts:       want.Conflicts,
	}
}

// unreadableField names the whole document in the mismatch of a document
// that could not be decoded.
const unreadableField = "(document)"

// absent is how a mismatch shows a value one side does not have.
const absent = "absent"

func compareCollection[D any](collection string, want, got map[string]D, unreadable map[string]string, fields func(D) []field) CollectionDiff {
	diff := CollectionDiff{Collection: collection, Expected: len(want), Actual: len(got) + len(unreadable)}
	for _, id := range slices.Sorted(maps.Keys(want)) {
		if reason, ok := unreadable[id]; ok {
			diff.Mismatches = append(diff.Mismatches, Mismatch{
				Collection: collection, ID: id, Field: unreadableField, Want: "a readable document", Got: reason,
			})
			continue
		}
		g, ok := got[id]
		if !ok {
			diff.Missing = append(diff.Missing, id)
			continue
		}
		diff.Mismatches = append(diff.Mismatches, compareFields(collection, id, fields(want[id]), fields(g))...)
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			diff.Unexpected = append(diff.Unexpected, id)
		}
	}
	for id := range unreadable {
		if _, ok := want[id]; !ok {
			diff.Unexpected = append(diff.Unexpected, id)
		}
	}
	slices.Sort(diff.Unexpected)
	return diff
}

// field is one reader-facing field and its printable value.
type field struct{ name, value string }

// compareFields compares fields by name: want's fields in order, then any
// only got has (a participant the outbox does not explain).
func compareFields(collection, id string, want, got []field) []Mismatch {
	gotByName := make(map[string]string, len(got))
	for _, f := range got {
		gotByName[f.name] = f.value
	}
	var out []Mismatch
	seen := make(map[string]bool, len(want))
	for _, w := range want {
		seen[w.name] = true
		g, ok := gotByName[w.name]
		if !ok {
			g = absent
		}
		if g != w.value {
			out = append(out, Mismatch{Collection: collection, ID: id, Field: w.name, Want: w.value, Got: g})
		}
	}
	for _, g := range got {
		if !seen[g.name] {
			out = append(out, Mismatch{Collection: collection, ID: id, Field: g.name, Want: absent, Got: g.value})
		}
	}
	return out
}

func userFields(u User) []field {
	return []field{
		{"email", strconv.Quote(u.Email)},
		{"username", strconv.Quote(u.Username)},
		{"full_name", strconv.Quote(u.FullName)},
		{"city", strconv.Quote(u.City)},
		{"status", strconv.Quote(u.Status)},
		{"created_at", formatTime(u.CreatedAt)},
		{"deleted_at", formatTime(u.DeletedAt)},
		{"deletion_reason", strconv.Quote(u.DeletionReason)},
		{"version", strconv.FormatInt(u.Version, 10)},
		{"updated_at", formatTime(u.UpdatedAt)},
	}
}

// activityFields lists participants as one field per user,
// "participants[<user id>]" with the joined_at time, so a set difference
// names the users it concerns.
func activityFields(a Activity) []field {
	fields := []field{
		{"creator_id", strconv.Quote(a.CreatorID)},
		{"title", strconv.Quote(a.Title)},
		{"description", strconv.Quote(a.Description)},
		{"category", strconv.Quote(a.Category)},
		{"location", strconv.Quote(a.Location)},
		{"starts_at", formatTime(a.StartsAt)},
		{"max_participants", strconv.Itoa(a.MaxParticipants)},
		{"status", strconv.Quote(a.Status)},
		{"cancelled_at", formatTime(a.CancelledAt)},
		{"cancel_reason", strconv.Quote(a.CancelReason)},
		{"created_at", formatTime(a.CreatedAt)},
		{"version", strconv.FormatInt(a.Version, 10)},
		{"updated_at", formatTime(a.UpdatedAt)},
		{"participant_count", strconv.Itoa(a.ParticipantCount)},
	}
	for _, userID := range slices.Sorted(maps.Keys(a.Participants)) {
		fields = append(fields, field{ParticipantField(userID), formatTime(a.Participants[userID])})
	}
	return fields
}

// ParticipantField is the field name a participant's mismatch carries.
func ParticipantField(userID string) string { return "participants[" + userID + "]" }

func userStatisticsFields(s UserStatistics) []field {
	return []field{
		{"user_id", strconv.Quote(s.UserID)},
		{"activities_created", strconv.FormatInt(s.ActivitiesCreated, 10)},
		{"activities_joined", strconv.FormatInt(s.ActivitiesJoined, 10)},
		{"activities_left", strconv.FormatInt(s.ActivitiesLeft, 10)},
		{"last_activity_at", formatTime(s.LastActivityAt)},
	}
}

func dailyStatisticsFields(d DailyStatistics) []field {
	return []field{
		{"day", strconv.Quote(d.Day)},
		{"event_type", strconv.Quote(d.EventType)},
		{"count", strconv.FormatInt(d.Count, 10)},
	}
}

// formatTime prints t as stored (UTC, milliseconds), the zero time as null.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "null"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
