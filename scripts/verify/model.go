package verify

import "time"

// Read-model collections, in the order reports list them.
const (
	CollectionUsers           = "users"
	CollectionActivities      = "activities"
	CollectionUserStatistics  = "user_statistics"
	CollectionDailyStatistics = "daily_statistics"
)

// Collections are the compared collections, in report order.
var Collections = []string{CollectionUsers, CollectionActivities, CollectionUserStatistics, CollectionDailyStatistics}

// Model is the reader-facing content of the four read models, keyed by
// document _id. Bookkeeping (_rev, _sources, _replayed, _committed_at, _projected_at,
// field_versions, members) is deliberately absent: it may differ between
// two correct projections. Times are UTC with millisecond precision, as
// BSON dates keep them; the zero time stands for null.
type Model struct {
	Users           map[string]User
	Activities      map[string]Activity
	UserStatistics  map[string]UserStatistics
	DailyStatistics map[string]DailyStatistics
	// Unreadable lists documents MongoDB holds that do not decode into
	// their collection's shape (a field of the wrong BSON type, say).
	// Only Actual fills it.
	Unreadable []UnreadableDocument
	// Conflicts lists the aggregate versions the outbox holds more than
	// one event of. Only Fold fills it.
	Conflicts []VersionConflict
}

// NewModel returns an empty model with all maps allocated.
func NewModel() Model {
	return Model{
		Users:           map[string]User{},
		Activities:      map[string]Activity{},
		UserStatistics:  map[string]UserStatistics{},
		DailyStatistics: map[string]DailyStatistics{},
	}
}

// User is a users document.
type User struct {
	Email          string
	Username       string
	FullName       string
	City           string
	Status         string
	CreatedAt      time.Time
	DeletedAt      time.Time
	DeletionReason string
	Version        int64
	UpdatedAt      time.Time
}

// Activity is an activities document.
type Activity struct {
	CreatorID       string
	Title           string
	Description     string
	Category        string
	Location        string
	StartsAt        time.Time
	MaxParticipants int
	Status          string
	CancelledAt     time.Time
	CancelReason    string
	CreatedAt       time.Time
	Version         int64
	UpdatedAt       time.Time
	// Participants maps each current participant's user id to joined_at.
	// A set: the stored list's order is not compared.
	Participants     map[string]time.Time
	ParticipantCount int
}

// UserStatistics is a user_statistics document.
type UserStatistics struct {
	UserID            string
	ActivitiesCreated int64
	ActivitiesJoined  int64
	ActivitiesLeft    int64
	LastActivityAt    time.Time
}

// DailyStatistics is a daily_statistics document, _id "YYYY-MM-DD/<type>".
type DailyStatistics struct {
	Day       string
	EventType string
	Count     int64
}

// msTime is t as the read models keep it: UTC, millisecond precision.
func msTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// UnreadableDocument is a stored document that could not be decoded.
type UnreadableDocument struct {
	Collection string
	ID         string
	Reason     string
}
