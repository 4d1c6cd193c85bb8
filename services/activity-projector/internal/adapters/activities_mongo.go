// Package adapters keeps the activities read model: in MongoDB for
// production, in memory for unit tests. Both pass the same repository
// test suite.
package adapters

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/readmodel"

	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

// ProviderSet provides the MongoDB repository as the activity.Repository.
var ProviderSet = wire.NewSet(NewActivitiesMongoRepository,
	wire.Bind(new(activity.Repository), new(*ActivitiesMongoRepository)))

// ActivitiesCollection is the read model's collection.
const ActivitiesCollection = "activities"

// ActivitiesMongoRepository is the activities read model in MongoDB.
type ActivitiesMongoRepository = readmodel.Repository[activity.Activity, activityDocument, *activityDocument]

// ActivitiesMemoryRepository is the activities read model in memory.
type ActivitiesMemoryRepository = readmodel.Memory[activity.Activity]

// activityDocument is an activity as stored in MongoDB. participants and
// participant_count are what readers use; members keeps, for order
// safety, every membership with the version that last changed it.
type activityDocument struct {
	readmodel.Meta   `bson:",inline"`
	CreatorID        string                `bson:"creator_id"`
	Title            string                `bson:"title"`
	Description      string                `bson:"description"`
	Category         string                `bson:"category"`
	Location         string                `bson:"location"`
	StartsAt         *time.Time            `bson:"starts_at"`
	MaxParticipants  int                   `bson:"max_participants"`
	Status           string                `bson:"status"`
	CancelledAt      *time.Time            `bson:"cancelled_at"`
	CancelReason     string                `bson:"cancel_reason,omitempty"`
	CreatedAt        *time.Time            `bson:"created_at"`
	UpdatedAt        time.Time             `bson:"updated_at"`
	Participants     []participantDocument `bson:"participants"`
	ParticipantCount int                   `bson:"participant_count"`
	Members          []memberDocument      `bson:"members"`
	Version          int64                 `bson:"version"`
	FieldVersions    map[string]int64      `bson:"field_versions"`
}

type participantDocument struct {
	UserID   string    `bson:"user_id"`
	JoinedAt time.Time `bson:"joined_at"`
}

type memberDocument struct {
	UserID  string    `bson:"user_id"`
	Joined  bool      `bson:"joined"`
	At      time.Time `bson:"at"`
	Version int64     `bson:"version"`
}

// NewActivitiesMongoRepository returns the repository and creates its
// indexes.
func NewActivitiesMongoRepository(ctx context.Context, db *mongo.Database, names readmodel.Namer, reg prometheus.Registerer) (*ActivitiesMongoRepository, error) {
	coll, err := names.Collection(ctx, db, ActivitiesCollection)
	if err != nil {
		return nil, err
	}
	// One index per command: FerretDB v1.24 panics (and drops the
	// connection) on a createIndexes command naming two or more indexes
	// that already exist, which is every restart of the service.
	for _, index := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "creator_id", Value: 1}}, Options: options.Index().SetName("creator_id")},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "starts_at", Value: 1}}, Options: options.Index().SetName("status_starts_at")},
		{Keys: bson.D{{Key: "participants.user_id", Value: 1}}, Options: options.Index().SetName("participants_user_id")},
	} {
		if _, err := coll.Indexes().CreateOne(ctx, index); err != nil {
			return nil, err
		}
	}
	return readmodel.NewRepository(readmodel.NewStore[activityDocument](coll, readmodel.WithMetrics(reg), readmodel.WithReadModel(ActivitiesCollection)), activityToDomain, activityFromDomain), nil
}

// NewActivitiesMemoryRepository returns an empty in-memory repository.
func NewActivitiesMemoryRepository() *ActivitiesMemoryRepository {
	return readmodel.NewMemory(func(id string) activity.Activity { return activity.Activity{ID: id} }, cloneActivity)
}

func activityToDomain(d *activityDocument) activity.Activity {
	a := activity.Activity{
		ID: d.ID, CreatorID: d.CreatorID, Title: d.Title, Description: d.Description,
		Category: d.Category, Location: d.Location, MaxParticipants: d.MaxParticipants,
		Status: activity.Status(d.Status), CancelledAt: d.CancelledAt, CancelReason: d.CancelReason,
		Head:     projection.Head{Version: d.Version, UpdatedAt: d.UpdatedAt},
		Versions: projection.Versions(d.FieldVersions),
	}
	if d.StartsAt != nil {
		a.StartsAt = *d.StartsAt
	}
	if d.CreatedAt != nil {
		a.CreatedAt = *d.CreatedAt
	}
	if len(d.Members) > 0 {
		a.Members = make(map[string]activity.Member, len(d.Members))
		for _, m := range d.Members {
			a.Members[m.UserID] = activity.Member{Joined: m.Joined, At: m.At, Version: m.Version}
		}
	}
	return a
}

func activityFromDomain(a activity.Activity, d *activityDocument) {
	d.CreatorID, d.Title, d.Description = a.CreatorID, a.Title, a.Description
	d.Category, d.Location, d.MaxParticipants = a.Category, a.Location, a.MaxParticipants
	d.Status, d.CancelledAt, d.CancelReason = string(a.Status), a.CancelledAt, a.CancelReason
	d.StartsAt, d.CreatedAt = optionalTime(a.StartsAt), optionalTime(a.CreatedAt)
	d.UpdatedAt, d.Version, d.FieldVersions = a.UpdatedAt, a.Version, a.Versions

	participants := a.Participants()
	d.Participants = make([]participantDocument, len(participants))
	for i, p := range participants {
		d.Participants[i] = participantDocument{UserID: p.UserID, JoinedAt: p.JoinedAt}
	}
	d.ParticipantCount = len(participants)

	d.Members = make([]memberDocument, 0, len(a.Members))
	for id, m := range a.Members {
		d.Members = append(d.Members, memberDocument{UserID: id, Joined: m.Joined, At: m.At, Version: m.Version})
	}
	// Sorted, so the document is the same whatever order events came in.
	slices.SortFunc(d.Members, func(x, y memberDocument) int { return strings.Compare(x.UserID, y.UserID) })
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func cloneActivity(a activity.Activity) activity.Activity {
	a.Versions = maps.Clone(a.Versions)
	a.Members = maps.Clone(a.Members)
	if a.CancelledAt != nil {
		t := *a.CancelledAt
		a.CancelledAt = &t
	}
	return a
}
