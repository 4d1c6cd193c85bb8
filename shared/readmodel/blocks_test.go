package readmodel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/shared/router"
	"github.com/activityapp/event-processor/shared/router/blockstoretest"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

func TestBlocks(t *testing.T) {
	blockstoretest.Run(t, func(t *testing.T) router.BlockStore {
		return readmodel.NewBlocks(mongotest.Database(t), readmodel.Namer{}, "user-projector")
	})
}

// The blocks are a read model: a rebuild writes its own, and readers of
// the live ones follow the pointer after the switch.
func TestBlocksFollowTheRebuild(t *testing.T) {
	db := mongotest.Database(t)
	ctx := t.Context()
	live := readmodel.NewBlocks(db, readmodel.Namer{}, "user-projector")
	rebuild := readmodel.NewBlocks(db, readmodel.Namer{RebuildSuffix: "_r1"}, "user-projector")
	require.NoError(t, live.Save(ctx, router.Block{Handler: "h", Key: "old", Topic: "t", Parked: []string{"t/0/1"}}))
	require.NoError(t, rebuild.Save(ctx, router.Block{Handler: "h", Key: "new", Topic: "t", Parked: []string{"t/0/2"}}))

	keys := func() []string {
		got, err := live.Blocks(ctx, "h", "t", 0)
		require.NoError(t, err)
		var out []string
		for _, b := range got {
			out = append(out, b.Key)
		}
		return out
	}
	assert.Equal(t, []string{"old"}, keys())
	name := readmodel.BlocksCollection("user-projector")
	assert.Equal(t, "blocked_sequences_user_projector", name)
	_, err := readmodel.Switch(ctx, db, name, name+"_r1")
	require.NoError(t, err)
	assert.Equal(t, []string{"new"}, keys())
}
