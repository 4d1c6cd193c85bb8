// Package adapters keeps the users read model: in MongoDB for production,
// in memory for unit tests. Both pass the same repository test suite.
package adapters

import (
	"context"
	"time"

	"github.com/google/wire"
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

// UsersMongoRepository is the users read model in MongoDB.
type UsersMongoRepository struct {
	store *readmodel.Store[userDocument, *userDocument]
}

// NewUsersMongoRepository returns the repository and creates its indexes.
func NewUsersMongoRepository(ctx context.Context, db *mongo.Database) (*UsersMongoRepository, error) {
	coll := db.Collection(UsersCollection)
	_, err := coll.Indexes().CreateMany(ctx, []mongo.IndexModel{
		{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetName("email")},
		{Keys: bson.D{{Key: "status", Value: 1}}, Options: options.Index().SetName("status")},
		{Keys: bson.D{{Key: "updated_at", Value: 1}}, Options: options.Index().SetName("updated_at")},
	})
	if err != nil {
		return nil, err
	}
	return &UsersMongoRepository{store: readmodel.NewStore[userDocument](coll)}, nil
}

// Get implements user.Repository.
func (r *UsersMongoRepository) Get(ctx context.Context, id string) (user.User, bool, error) {
	doc, found, err := r.store.Get(ctx, id)
	if err != nil || !found {
		return user.User{}, found, err
	}
	return doc.toDomain(), true, nil
}

// Update implements user.Repository.
func (r *UsersMongoRepository) Update(ctx context.Context, id string, change func(*user.User) (bool, error)) error {
	return r.store.Update(ctx, id, func(doc *userDocument) (bool, error) {
		u := doc.toDomain()
		changed, err := change(&u)
		if err != nil || !changed {
			return false, err
		}
		doc.fromDomain(u)
		return true, nil
	})
}

func (d *userDocument) toDomain() user.User {
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

func (d *userDocument) fromDomain(u user.User) {
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
