package adapters

import (
	"context"
	"fmt"

	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/readmodel"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// StatisticsMemory keeps the statistics documents in memory, with
// StatisticsMongo's semantics, for unit tests of the application layer.
type StatisticsMemory struct {
	collections map[string]*readmodel.Memory[stats.Document]
}

var _ stats.Store = (*StatisticsMemory)(nil)

// NewStatisticsMemory returns an empty store.
func NewStatisticsMemory() *StatisticsMemory {
	m := &StatisticsMemory{collections: map[string]*readmodel.Memory[stats.Document]{}}
	for _, c := range stats.Collections {
		m.collections[c] = readmodel.NewMemory(func(id string) stats.Document { return stats.Document{ID: id} }, stats.Document.Clone)
	}
	return m
}

// UpdateBatch implements stats.Store.
func (m *StatisticsMemory) UpdateBatch(ctx context.Context, collection string, changes []projection.Change[stats.Document]) error {
	c, ok := m.collections[collection]
	if !ok {
		return fmt.Errorf("statistics: unknown collection %q", collection)
	}
	return c.UpdateBatch(ctx, changes)
}

// Document returns document id of collection.
func (m *StatisticsMemory) Document(ctx context.Context, collection, id string) (stats.Document, bool, error) {
	c, ok := m.collections[collection]
	if !ok {
		return stats.Document{}, false, fmt.Errorf("statistics: unknown collection %q", collection)
	}
	return c.Get(ctx, id)
}
