// Package adapters keeps the statistics read models in MongoDB (and in
// memory, for unit tests) and publishes contributions to Kafka.
package adapters

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/readmodel"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// StatisticsMongo keeps the statistics documents in MongoDB, one
// collection each for user_statistics and daily_statistics. Every batch
// writes each document it changes once, guarded by its revision; the
// watermark of counted events (_sources) is part of the document, so the
// count and the proof of what it counts are written together, atomically,
// without transactions.
type StatisticsMongo struct {
	users *readmodel.Repository[stats.Document, userStatisticsDocument, *userStatisticsDocument]
	daily *readmodel.Repository[stats.Document, dailyStatisticsDocument, *dailyStatisticsDocument]
}

var _ stats.Store = (*StatisticsMongo)(nil)

// userStatisticsDocument is a user's statistics as stored in MongoDB.
type userStatisticsDocument struct {
	readmodel.Meta    `bson:",inline"`
	UserID            string    `bson:"user_id"`
	ActivitiesCreated int64     `bson:"activities_created"`
	ActivitiesJoined  int64     `bson:"activities_joined"`
	ActivitiesLeft    int64     `bson:"activities_left"`
	LastActivityAt    time.Time `bson:"last_activity_at"`
	Sources           sources   `bson:"_sources"`
	Replayed          []string  `bson:"_replayed,omitempty"`
}

// dailyStatisticsDocument is one day's count of one event type.
type dailyStatisticsDocument struct {
	readmodel.Meta `bson:",inline"`
	Day            string   `bson:"day"`
	EventType      string   `bson:"event_type"`
	Count          int64    `bson:"count"`
	Sources        sources  `bson:"_sources"`
	Replayed       []string `bson:"_replayed,omitempty"`
}

// sources is stats.Document.Sources as BSON keeps it: partition numbers
// as field names, in partition order, so that equal watermarks are equal
// bytes however they were reached.
type sources bson.D

func sourcesFromDomain(s map[int32]int64) sources {
	out := make(sources, 0, len(s))
	for _, p := range slices.Sorted(maps.Keys(s)) {
		out = append(out, bson.E{Key: strconv.Itoa(int(p)), Value: s[p]})
	}
	return out
}

func (s sources) toDomain() map[int32]int64 {
	out := make(map[int32]int64, len(s))
	for _, e := range s {
		n, err := strconv.ParseInt(e.Key, 10, 32)
		if err != nil {
			continue
		}
		switch off := e.Value.(type) {
		case int64:
			out[int32(n)] = off
		case int32:
			out[int32(n)] = int64(off)
		}
	}
	return out
}

// NewStatisticsMongo returns the store and creates its indexes.
func NewStatisticsMongo(ctx context.Context, db *mongo.Database, names readmodel.Namer, reg prometheus.Registerer) (*StatisticsMongo, error) {
	colls := map[string]*mongo.Collection{}
	for _, model := range stats.Collections {
		c, err := names.Collection(ctx, db, model)
		if err != nil {
			return nil, err
		}
		colls[model] = c
	}
	for coll, index := range map[string]mongo.IndexModel{
		stats.DailyStatistics: {
			Keys:    bson.D{{Key: "day", Value: 1}, {Key: "event_type", Value: 1}},
			Options: options.Index().SetName("day_event_type"),
		},
		stats.UserStatistics: {
			Keys:    bson.D{{Key: stats.LastActivityAt, Value: -1}},
			Options: options.Index().SetName("last_activity_at"),
		},
	} {
		if _, err := colls[coll].Indexes().CreateOne(ctx, index); err != nil {
			return nil, fmt.Errorf("statistics: index of %s: %w", coll, err)
		}
	}
	withMetrics := readmodel.WithMetrics(reg)
	return &StatisticsMongo{
		users: readmodel.NewRepository(readmodel.NewStore[userStatisticsDocument](colls[stats.UserStatistics], withMetrics,
			readmodel.WithReadModel(stats.UserStatistics)), userStatisticsToDomain, userStatisticsFromDomain),
		daily: readmodel.NewRepository(readmodel.NewStore[dailyStatisticsDocument](colls[stats.DailyStatistics], withMetrics,
			readmodel.WithReadModel(stats.DailyStatistics)), dailyStatisticsToDomain, dailyStatisticsFromDomain),
	}, nil
}

// UpdateBatch implements stats.Store.
func (s *StatisticsMongo) UpdateBatch(ctx context.Context, collection string, changes []projection.Change[stats.Document]) error {
	switch collection {
	case stats.UserStatistics:
		return s.users.UpdateBatch(ctx, changes)
	case stats.DailyStatistics:
		return s.daily.UpdateBatch(ctx, changes)
	}
	return fmt.Errorf("statistics: unknown collection %q", collection)
}

func userStatisticsToDomain(d *userStatisticsDocument) stats.Document {
	doc := stats.Document{ID: d.ID, Sources: d.Sources.toDomain(), Replayed: replayedToDomain(d.Replayed)}
	if d.Sources == nil && d.Replayed == nil {
		return doc // new: Absorb fills it
	}
	doc.Counters = map[string]int64{
		stats.ActivitiesCreated: d.ActivitiesCreated, stats.ActivitiesJoined: d.ActivitiesJoined, stats.ActivitiesLeft: d.ActivitiesLeft,
	}
	doc.Latest = map[string]time.Time{stats.LastActivityAt: d.LastActivityAt}
	doc.Identity = map[string]string{"user_id": d.UserID}
	return doc
}

func userStatisticsFromDomain(doc stats.Document, d *userStatisticsDocument) {
	d.UserID = doc.Identity["user_id"]
	d.ActivitiesCreated = doc.Counters[stats.ActivitiesCreated]
	d.ActivitiesJoined = doc.Counters[stats.ActivitiesJoined]
	d.ActivitiesLeft = doc.Counters[stats.ActivitiesLeft]
	d.LastActivityAt = doc.Latest[stats.LastActivityAt]
	d.Sources = sourcesFromDomain(doc.Sources)
	d.Replayed = replayedFromDomain(doc.Replayed)
}

func dailyStatisticsToDomain(d *dailyStatisticsDocument) stats.Document {
	doc := stats.Document{ID: d.ID, Sources: d.Sources.toDomain(), Replayed: replayedToDomain(d.Replayed)}
	if d.Sources == nil && d.Replayed == nil {
		return doc
	}
	doc.Counters = map[string]int64{stats.Count: d.Count}
	doc.Identity = map[string]string{"day": d.Day, "event_type": d.EventType}
	return doc
}

func dailyStatisticsFromDomain(doc stats.Document, d *dailyStatisticsDocument) {
	d.Day, d.EventType = doc.Identity["day"], doc.Identity["event_type"]
	d.Count = doc.Counters[stats.Count]
	d.Sources = sourcesFromDomain(doc.Sources)
	d.Replayed = replayedFromDomain(doc.Replayed)
}

// replayedFromDomain is stats.Document.Replayed as BSON keeps it: the event
// ids, sorted (equal sets are equal bytes).
func replayedFromDomain(r map[string]bool) []string {
	return slices.Sorted(maps.Keys(r))
}

func replayedToDomain(ids []string) map[string]bool {
	if len(ids) == 0 {
		return nil
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}
