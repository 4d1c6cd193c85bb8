package adapters_test

import (
	"os"
	"testing"

	"github.com/activityapp/event-processor/testkit/mongotest"
)

// TestMain starts one FerretDB (or uses TEST_MONGODB_URI) for the package.
func TestMain(m *testing.M) {
	os.Exit(mongotest.Main(m))
}
