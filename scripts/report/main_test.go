package report_test

import (
	"os"
	"testing"

	"github.com/activityapp/event-processor/testkit/mongotest"
)

func TestMain(m *testing.M) { os.Exit(mongotest.Main(m)) }
