package verify

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/readmodel"
)

// The documents as the projectors store them, reader-facing fields only.
// Absent and null fields decode as zero values, which is how the model
// writes null.

type userDocument struct {
	ID             string    `bson:"_id"`
	Email          string    `bson:"email"`
	Username       string    `bson:"username"`
	FullName       string    `bson:"full_name"`
	City           string    `bson:"city"`
	Status         string    `bson:"status"`
	CreatedAt      time.Time `bson:"created_at"`
	DeletedAt      time.Time `bson:"deleted_at"`
	DeletionReason string    `bson:"deletion_reason"`
	Version        int64     `bson:"version"`
	UpdatedAt      time.Time `bson:"updated_at"`
}

type activityDocument struct {
	ID              string    `bson:"_id"`
	CreatorID       string    `bson:"creator_id"`
	Title           string    `bson:"title"`
	Description     string    `bson:"description"`
	Category        string    `bson:"category"`
	Location        string    `bson:"location"`
	StartsAt        time.Time `bson:"starts_at"`
	MaxParticipants int       `bson:"max_participants"`
	Status          string    `bson:"status"`
	CancelledAt     time.Time `bson:"cancelled_at"`
	CancelReason    string    `bson:"cancel_reason"`
	CreatedAt       time.Time `bson:"created_at"`
	Version         int64     `bson:"version"`
	UpdatedAt       time.Time `bson:"updated_at"`
	Participants    []struct {
		UserID   string    `bson:"user_id"`
		JoinedAt time.Time `bson:"joined_at"`
	} `bson:"participants"`
	ParticipantCount int `bson:"participant_count"`
}

type userStatisticsDocument struct {
	ID                string    `bson:"_id"`
	UserID            string    `bson:"user_id"`
	ActivitiesCreated int64     `bson:"activities_created"`
	ActivitiesJoined  int64     `bson:"activities_joined"`
	ActivitiesLeft    int64     `bson:"activities_left"`
	LastActivityAt    time.Time `bson:"last_activity_at"`
}

type dailyStatisticsDocument struct {
	ID        string `bson:"_id"`
	Day       string `bson:"day"`
	EventType string `bson:"event_type"`
	Count     int64  `bson:"count"`
}

// Actual reads the four read models from db.
func Actual(ctx context.Context, db *mongo.Database) (Model, error) {
	m := NewModel()
	err := readCollection(ctx, db, CollectionUsers, &m, func(d userDocument) {
		m.Users[d.ID] = User{
			Email: d.Email, Username: d.Username, FullName: d.FullName, City: d.City, Status: d.Status,
			CreatedAt: utc(d.CreatedAt), DeletedAt: utc(d.DeletedAt), DeletionReason: d.DeletionReason,
			Version: d.Version, UpdatedAt: utc(d.UpdatedAt),
		}
	})
	if err != nil {
		return Model{}, err
	}
	err = readCollection(ctx, db, CollectionActivities, &m, func(d activityDocument) {
		a := Activity{
			CreatorID: d.CreatorID, Title: d.Title, Description: d.Description, Category: d.Category,
			Location: d.Location, StartsAt: utc(d.StartsAt), MaxParticipants: d.MaxParticipants,
			Status: d.Status, CancelledAt: utc(d.CancelledAt), CancelReason: d.CancelReason,
			CreatedAt: utc(d.CreatedAt), Version: d.Version, UpdatedAt: utc(d.UpdatedAt),
			Participants: make(map[string]time.Time, len(d.Participants)), ParticipantCount: d.ParticipantCount,
		}
		for _, p := range d.Participants {
			a.Participants[p.UserID] = utc(p.JoinedAt)
		}
		m.Activities[d.ID] = a
	})
	if err != nil {
		return Model{}, err
	}
	err = readCollection(ctx, db, CollectionUserStatistics, &m, func(d userStatisticsDocument) {
		m.UserStatistics[d.ID] = UserStatistics{
			UserID: d.UserID, ActivitiesCreated: d.ActivitiesCreated, ActivitiesJoined: d.ActivitiesJoined,
			ActivitiesLeft: d.ActivitiesLeft, LastActivityAt: utc(d.LastActivityAt),
		}
	})
	if err != nil {
		return Model{}, err
	}
	err = readCollection(ctx, db, CollectionDailyStatistics, &m, func(d dailyStatisticsDocument) {
		m.DailyStatistics[d.ID] = DailyStatistics{Day: d.Day, EventType: d.EventType, Count: d.Count}
	})
	if err != nil {
		return Model{}, err
	}
	return m, nil
}

// readCollection decodes every document of collection as D and hands it to
// add. A document that does not decode is recorded as unreadable rather
// than failing the read: a field of the wrong type is a finding, not an
// outage.
func readCollection[D any](ctx context.Context, db *mongo.Database, collection string, m *Model, add func(D)) error {
	name, err := readmodel.Resolve(ctx, db, collection)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	cur, err := db.Collection(name).Find(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("verify: read %s (%s): %w", collection, name, err)
	}
	defer func() { _ = cur.Close(context.WithoutCancel(ctx)) }()
	for cur.Next(ctx) {
		var doc D
		if err := cur.Decode(&doc); err != nil {
			m.Unreadable = append(m.Unreadable, UnreadableDocument{
				Collection: collection, ID: rawID(cur.Current), Reason: err.Error(),
			})
			continue
		}
		add(doc)
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("verify: read %s: %w", collection, err)
	}
	return nil
}

// rawID is a document's _id as text, whatever its type.
func rawID(doc bson.Raw) string {
	v, err := doc.LookupErr("_id")
	if err != nil {
		return "(no _id)"
	}
	if s, ok := v.StringValueOK(); ok {
		return s
	}
	return v.String()
}

// utc is t as the model keeps times: UTC, the zero time for null.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
