package router_test

import (
	"testing"

	"github.com/activityapp/event-processor/shared/router"
	"github.com/activityapp/event-processor/shared/router/blockstoretest"
)

func TestMemoryBlocks(t *testing.T) {
	t.Parallel()
	blockstoretest.Run(t, func(*testing.T) router.BlockStore { return router.NewMemoryBlocks() })
}
