// Package blockstoretest is the contract every router.BlockStore meets,
// run against each implementation.
package blockstoretest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/router"
)

// Run checks the store newStore returns (empty, one per test).
func Run(t *testing.T, newStore func(t *testing.T) router.BlockStore) {
	t.Run("SaveReplacesAndBlocksSelectsThePartition", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		since := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
		a := router.Block{Handler: "h", Key: `{"aggregate_id":"a"}`, Topic: "t", Partition: 3, Parked: []string{"t/3/10"}, Since: since}
		require.NoError(t, s.Save(ctx, a))
		a.Parked = append(a.Parked, "t/3/12", "t/3/15")
		require.NoError(t, s.Save(ctx, a))
		others := []router.Block{
			{Handler: "h", Key: "b", Topic: "t", Partition: 4, Parked: []string{"t/4/1"}, Since: since},
			{Handler: "other", Key: "c", Topic: "t", Partition: 3, Parked: []string{"t/3/2"}, Since: since},
			{Handler: "h", Key: "d", Topic: "u", Partition: 3, Parked: []string{"u/3/2"}, Since: since},
		}
		for _, b := range others {
			require.NoError(t, s.Save(ctx, b))
		}

		got, err := s.Blocks(ctx, "h", "t", 3)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, a.Key, got[0].Key)
		assert.Equal(t, []string{"t/3/10", "t/3/12", "t/3/15"}, got[0].Parked, "the last save, whole and in order")
		assert.Equal(t, "h", got[0].Handler)
		assert.Equal(t, "t", got[0].Topic)
		assert.EqualValues(t, 3, got[0].Partition)
		assert.True(t, since.Equal(got[0].Since), "since: %v", got[0].Since)

		got, err = s.Blocks(ctx, "h", "t", 4)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "b", got[0].Key)
	})

	t.Run("ReleaseDeletesOneBlock", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		for _, key := range []string{"a", "b"} {
			require.NoError(t, s.Save(ctx, router.Block{Handler: "h", Key: key, Topic: "t", Partition: 0, Parked: []string{"t/0/" + key}}))
		}
		require.NoError(t, s.Release(ctx, "h", "a"))
		require.NoError(t, s.Release(ctx, "h", "a"), "releasing twice")
		require.NoError(t, s.Release(ctx, "h", "never"), "releasing what is not blocked")

		got, err := s.Blocks(ctx, "h", "t", 0)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "b", got[0].Key)
	})

	t.Run("NothingBlocked", func(t *testing.T) {
		t.Parallel()
		got, err := newStore(t).Blocks(t.Context(), "h", "t", 0)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}
