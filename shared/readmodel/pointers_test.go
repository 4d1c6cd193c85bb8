package readmodel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

// A read model without a pointer is its own collection; Switch points it
// elsewhere and says where it pointed before; a rebuild's Namer writes to
// the suffixed collection whatever the pointer says.
func TestPointers(t *testing.T) {
	db := mongotest.Database(t)
	ctx := t.Context()

	name, err := readmodel.Resolve(ctx, db, "users")
	require.NoError(t, err)
	assert.Equal(t, "users", name)
	coll, err := readmodel.Namer{}.Collection(ctx, db, "users")
	require.NoError(t, err)
	assert.Equal(t, "users", coll.Name())

	previous, err := readmodel.Switch(ctx, db, "users", "users_r1")
	require.NoError(t, err)
	assert.Equal(t, "users", previous)
	name, err = readmodel.Resolve(ctx, db, "users")
	require.NoError(t, err)
	assert.Equal(t, "users_r1", name)
	name, err = readmodel.Resolve(ctx, db, "activities")
	require.NoError(t, err)
	assert.Equal(t, "activities", name, "pointers are per read model")
	coll, err = readmodel.Namer{}.Collection(ctx, db, "users")
	require.NoError(t, err)
	assert.Equal(t, "users_r1", coll.Name())

	coll, err = readmodel.Namer{RebuildSuffix: "_r2"}.Collection(ctx, db, "users")
	require.NoError(t, err)
	assert.Equal(t, "users_r2", coll.Name())
	previous, err = readmodel.Switch(ctx, db, "users", "users_r2")
	require.NoError(t, err)
	assert.Equal(t, "users_r1", previous)
}
