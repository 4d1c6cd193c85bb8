package app_test

import (
	"os"
	"testing"

	"github.com/activityapp/event-processor/testkit/mongotest"
)

// TestMain starts one FerretDB (on a throwaway PostgreSQL) for the
// benchmarks on MongoDB; every one takes a fresh database.
func TestMain(m *testing.M) {
	os.Exit(mongotest.Main(m))
}
