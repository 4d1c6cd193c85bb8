package readmodel_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/shared/readmodel/readmodeltest"
)

// note is the test domain value, kept as a noteDocument.
type note struct {
	ID       string
	Title    string
	Tags     map[string]int64
	PinnedAt *time.Time
}

type noteRepository = readmodel.Repository[note, noteDocument, *noteDocument]

func newNoteRepository(coll *mongo.Collection) *noteRepository {
	return readmodel.NewRepository(readmodel.NewStore[noteDocument](coll), noteToDomain, noteFromDomain)
}

// newNoteMongoRepository is a constructor like the services': it creates
// the collection's index.
func newNoteMongoRepository(ctx context.Context, db *mongo.Database) (*noteRepository, error) {
	coll := db.Collection(notesCollectionName)
	_, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "title", Value: 1}}, Options: options.Index().SetName("title"),
	})
	return newNoteRepository(coll), err
}

func noteToDomain(d *noteDocument) note {
	return note{ID: d.ID, Title: d.Title, Tags: d.Tags, PinnedAt: d.PinnedAt}
}

func noteFromDomain(n note, d *noteDocument) {
	d.Title, d.Tags, d.TagCount, d.PinnedAt = n.Title, n.Tags, len(n.Tags), n.PinnedAt
}

func newNoteMemory() *readmodel.Memory[note] {
	return readmodel.NewMemory(func(id string) note { return note{ID: id} }, func(n note) note {
		n.Tags = maps.Clone(n.Tags)
		if n.PinnedAt != nil {
			at := *n.PinnedAt
			n.PinnedAt = &at
		}
		return n
	})
}

func noteContract(newRepo func(t *testing.T) readmodeltest.Repository[note]) readmodeltest.Contract[note] {
	return readmodeltest.Contract[note]{
		New:   newRepo,
		Empty: func(id string) note { return note{ID: id} },
		Samples: func(id string) []note {
			pinned := t0.Add(time.Hour)
			return []note{
				{ID: id, Title: "Groceries", Tags: map[string]int64{"home": 1, "weekly": 2}, PinnedAt: &pinned},
				{ID: id, Title: "Reading list", Tags: map[string]int64{"books": 3}},
			}
		},
		Alter: func(n *note) {
			n.Title = "Altered"
			n.Tags["altered"] = 99
			if n.PinnedAt != nil {
				*n.PinnedAt = t0.Add(99 * time.Hour)
			}
		},
		Steps: []func(*note) bool{
			func(n *note) bool { n.Title = "Draft"; return true },
			func(n *note) bool {
				if n.Tags == nil {
					n.Tags = map[string]int64{}
				}
				n.Tags["draft"] = 2
				return true
			},
			func(n *note) bool { pinned := t0; n.PinnedAt = &pinned; return true },
			func(n *note) bool { n.Tags, n.PinnedAt = nil, nil; return true },
		},
	}
}

func TestMemoryContract(t *testing.T) {
	readmodeltest.Run(t, noteContract(readmodeltest.Memory[note](newNoteMemory)))
}

func TestMongoRepositoryContract(t *testing.T) {
	readmodeltest.Run(t, noteContract(readmodeltest.Mongo[note](newNoteMongoRepository)))
}

// What the repository stores: the mapped document, with its Meta.
func TestMongoRepositoryDocuments(t *testing.T) {
	readmodeltest.CheckIndexes(t, newNoteMongoRepository, notesCollectionName, map[string]bson.D{
		"title": {{Key: "title", Value: int32(1)}},
	})

	pinned := t0
	tags := map[string]int64{"home": 1, "weekly": 2}
	docs := readmodeltest.Stored(t, newNoteMongoRepository, notesCollectionName, map[string]note{
		"n1": {ID: "n1", Title: "Groceries", Tags: tags, PinnedAt: &pinned},
		"n2": {ID: "n2"},
	})
	assert.Equal(t, map[string]bson.M{
		"n1": {
			"_id": "n1", "_rev": int64(1), "title": "Groceries",
			"tags": readmodeltest.Document(tags), "tag_count": int32(2), "pinned_at": bson.NewDateTimeFromTime(t0),
		},
		"n2": {"_id": "n2", "_rev": int64(1), "title": "", "tags": nil, "tag_count": int32(0), "pinned_at": nil},
	}, docs)
}
