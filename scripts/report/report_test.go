package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/report"
)

func sampleReport() report.Report {
	return report.Report{
		RunID: "run-1", Mode: "1000 events",
		Started: sec(0), LoadFinished: sec(1.5), Projected: sec(12.25),
		Events:     1000,
		Mix:        report.Shares(map[string]int{"UserCreated": 300, "ParticipantJoined": 250, "ActivityCreated": 450}),
		Categories: report.Shares(map[string]int{"user": 400, "activity": 300, "participant": 300}),
		Throughput: report.Throughput{
			Load:      report.Rate{Average: 666.7, Peak: 900},
			Consumers: []report.ConsumerRate{{Consumer: report.Pipeline("outbox")[0], Rate: report.Rate{Average: 95, Peak: 180}}},
			EndToEnd:  81.6,
		},
		Latency: map[string]report.Summary{
			"users": {N: 2, Min: 100, P50: 100, P95: 300, P99: 300, Max: 300, Mean: 200},
			"all":   {N: 2, Min: 100, P50: 100, P95: 300, P99: 300, Max: 300, Mean: 200},
		},
		Success: report.Success{Committed: 1000, Poisoned: map[string]int64{"user-projector.poison": 0}, Rate: 1,
			CaughtUp: true, Verified: true, Verification: "users: 400 expected, 400 in MongoDB"},
	}
}

func TestSharesAndSuccessRate(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []report.Share{{Name: "b", Count: 3, Percent: 75}, {Name: "a", Count: 1, Percent: 25}},
		report.Shares(map[string]int{"a": 1, "b": 3}))
	assert.InDelta(t, 1.0, report.SuccessRate(100, map[string]int64{"x": 0}, 3), 1e-9)
	assert.InDelta(t, 1-3.0/300, report.SuccessRate(100, map[string]int64{"x": 2, "y": 1}, 3), 1e-9)
	assert.InDelta(t, 1.0, report.SuccessRate(0, nil, 3), 1e-9)
}

func TestTableShowsEverySection(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	var b bytes.Buffer
	require.NoError(t, r.WriteTable(&b))
	out := b.String()
	for _, want := range []string{
		"Demo run run-1: 1000 events, OK",
		"read models caught up 12.25s after the first commit",
		"load: commits to the outbox", "667", "900",
		"user-projector", "95", "180", "end to end: commit to every read model", "82",
		"users", "300",
		"Success: 100.0 % of 1000 events",
		"Verifier: users: 400 expected",
		"activity events", "45.0 %", "ActivityCreated",
	} {
		assert.Contains(t, out, want)
	}
	assert.Less(t, strings.Index(out, "ActivityCreated"), strings.Index(out, "UserCreated"), "largest share first")

	r.Pace = "target 1000 events/s for 1m0s: the database did not keep up"
	r.Success.Verified = false
	r.Success.Poisoned["user-projector.poison"] = 2
	b.Reset()
	require.NoError(t, r.WriteTable(&b))
	assert.Contains(t, b.String(), "1000 events, FAILED")
	assert.Contains(t, b.String(), "\n  target 1000 events/s for 1m0s: the database did not keep up\n")
	assert.Contains(t, b.String(), "user-projector.poison +2")
	assert.False(t, r.OK())
}

func TestJSONAndCharts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := sampleReport()
	fresh := report.Freshness{Latencies: map[string][]time.Duration{"users": {100 * time.Millisecond, 300 * time.Millisecond}}}
	lines := report.Timelines{Load: report.Series{600, 400}, Consumers: []report.NamedSeries{{Name: "user-projector", Series: report.Series{100, 180, 90}}}}
	require.NoError(t, r.WriteCharts(dir, fresh, lines))

	for _, name := range []string{report.LatencyChart, report.ThroughputChart} {
		f, err := os.Open(filepath.Join(dir, name))
		require.NoError(t, err)
		dec := xml.NewDecoder(f)
		var root string
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, name)
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		_ = f.Close()
		assert.Equal(t, "svg", root, name)
	}
	svg, err := os.ReadFile(filepath.Join(dir, report.ThroughputChart))
	require.NoError(t, err)
	for _, legend := range []string{">load (commits)<", ">user-projector<", ">Throughput over time, 1000 events<"} {
		assert.Contains(t, string(svg), legend, "the throughput chart's title and legend")
	}
	svg, err = os.ReadFile(filepath.Join(dir, report.LatencyChart))
	require.NoError(t, err)
	for _, legend := range append(slices.Clone(report.ReadModels), "p50 = ", "latency (ms)") {
		assert.Contains(t, string(svg), legend, "the latency chart's legend, markers and axis")
	}

	var b bytes.Buffer
	require.NoError(t, r.WriteJSON(&b))
	var back report.Report
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, r.Latency, back.Latency)
	assert.Equal(t, filepath.Join(dir, report.LatencyChart), back.Charts["latency"])
}
