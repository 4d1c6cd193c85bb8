// Package adapters keeps the users read model: in MongoDB for production,
// in memory for unit tests. Both pass the same repository test suite.
package adapters

import (
	"context"
	"maps"
	"time"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/readmodel"

	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

// ProviderSet provides the MongoDB repository as the user.Repository.
var ProviderSet = wire.NewSet(NewUsersMongoRepository, wire.Bind(new(user.Repository), new(*UsersMongoRepository)))

// UsersCollection is the read model's collection.
const UsersCollection = "users"

// UsersMongoRepository is the users read model in MongoDB.
type UsersMongoRepository = readmodel.Repository[user.User, userDocument, *userDocument]

// UsersMemoryRepository is the users read model in memory.
type UsersMemoryRepository = readmodel.Memory[user.User]

// userDocument is a user as stored in MongoDB.
type userDocument struct {
	readmodel.Meta `bson:",inline"`
	Email          string           `bson:"email"`
	Username       string           `bson:"username"`
	FullName       string           `bson:"full_name"`
	City           string           `bson:"city"`
	Status         string           `bson:"status"`
	CreatedAt      *time.Time       `bson:"created_at"`
	UpdatedAt      time.Time        `bson:"updated_at"`
	DeletedAt      *time.Time       `bson:"deleted_at"`
	DeletionReason string           `bson:"deletion_reason,omitempty"`
	Version        int64            `bson:"version"`
	FieldVersions  map[string]int64 `bson:"field_versions"`
}

// NewUsersMongoRepository returns the repository and creates its indexes.
// Email is indexed but not unique: users' events are ordered per user, not
// across users, so a projection may briefly show an address on two users
// (one changing away from it, one taking it), and a unique index would
// stall that partition.
func NewUsersMongoRepository(ctx context.Context, db *mongo.Database, names readmodel.Namer, reg prometheus.Registerer) (*UsersMongoRepository, error) {
	coll, err := names.Collection(ctx, db, UsersCollection)
	if err != nil {
		return nil, err
	}
	// One index per command: FerretDB v1.24 panics (and drops the
	// connection) on a createIndexes command naming two or more indexes
	// that already exist, which is every restart of the service.
	for _, index := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetName("email")},
		{Keys: bson.D{{Key: "status", Value: 1}}, Options: options.Index().SetName("status")},
		{Keys: bson.D{{Key: "updated_at", Value: 1}}, Options: options.Index().SetName("updated_at")},
	} {
		if _, err := coll.Indexes().CreateOne(ctx, index); err != nil {
			return nil, err
		}
	}
	return readmodel.NewRepository(readmodel.NewStore[userDocument](coll, readmodel.WithMetrics(reg), readmodel.WithReadModel(UsersCollection)), userToDomain, userFromDomain), nil
}

// NewUsersMemoryRepository returns an empty in-memory repository.
func NewUsersMemoryRepository() *UsersMemoryRepository {
	return readmodel.NewMemory(func(id string) user.User { return user.User{ID: id} }, cloneUser)
}

func userToDomain(d *userDocument) user.User {
	u := user.User{
		ID: d.ID, Email: d.Email, Username: d.Username, FullName: d.FullName, City: d.City,
		Status: user.Status(d.Status), DeletedAt: d.DeletedAt, DeletionReason: d.DeletionReason,
		Head:     projection.Head{Version: d.Version, UpdatedAt: d.UpdatedAt},
		Versions: projection.Versions(d.FieldVersions),
	}
	if d.CreatedAt != nil {
		u.CreatedAt = *d.CreatedAt
	}
	return u
}

func userFromDomain(u user.User, d *userDocument) {
	d.Email, d.Username, d.FullName, d.City = u.Email, u.Username, u.FullName, u.City
	d.Status, d.DeletedAt, d.DeletionReason = string(u.Status), u.DeletedAt, u.DeletionReason
	d.CreatedAt = nil
	if !u.CreatedAt.IsZero() {
		createdAt := u.CreatedAt
		d.CreatedAt = &createdAt
	}
	d.UpdatedAt, d.Version = u.UpdatedAt, u.Version
	d.FieldVersions = u.Versions
}

func cloneUser(u user.User) user.User {
	u.Versions = maps.Clone(u.Versions)
	if u.DeletedAt != nil {
		t := *u.DeletedAt
		u.DeletedAt = &t
	}
	return u
}
