package readmodel_test

import (
	"os"
	"testing"

	"github.com/activityapp/event-processor/testkit/mongotest"
)

// TestMain starts one FerretDB (on a throwaway PostgreSQL) for the
// package; every test takes a fresh database with mongotest.Database.
func TestMain(m *testing.M) {
	os.Exit(mongotest.Main(m))
}
