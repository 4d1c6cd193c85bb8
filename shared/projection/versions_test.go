package projection_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/activityapp/event-processor/shared/projection"
)

func TestSetIsLastWriterWinsByVersion(t *testing.T) {
	t.Parallel()
	var v projection.Versions
	var city string
	assert.True(t, projection.Set(&v, "city", 3, &city, "Paris"))
	assert.False(t, projection.Set(&v, "city", 3, &city, "Rome"), "same version again")
	assert.False(t, projection.Set(&v, "city", 2, &city, "Oslo"), "older version")
	assert.Equal(t, "Paris", city)
	assert.True(t, projection.Set(&v, "city", 4, &city, "Lima"))
	assert.Equal(t, "Lima", city)
	assert.Equal(t, projection.Versions{"city": 4}, v)
}

func TestHeadMovesOnlyForward(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	var h projection.Head
	assert.True(t, h.Observe(2, at))
	assert.False(t, h.Observe(1, at.Add(time.Hour)))
	assert.False(t, h.Observe(2, at.Add(time.Hour)))
	assert.EqualValues(t, 2, h.Version)
	assert.Equal(t, time.Date(2026, 11, 27, 9, 0, 0, 123000000, time.UTC), h.UpdatedAt, "UTC, milliseconds")
}
