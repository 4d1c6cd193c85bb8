package loadgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var progressStart = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return progressStart.Add(d) }

// Not a terminal: plain lines, at most one per second, and a final one.
func TestProgressPlainLinesAtMostOncePerSecond(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := newProgress(&out, Config{Count: 1000}, progressStart)
	p.update(at(300*time.Millisecond), 150)
	p.update(at(999*time.Millisecond), 480)
	p.update(at(time.Second), 500)
	p.update(at(1500*time.Millisecond), 700)
	p.update(at(2*time.Second), 1000)
	p.finish(at(2050*time.Millisecond), 1000)

	assert.Equal(t, []string{
		"loaded 500/1000 events (50%), 500 events/s",
		"loaded 1000/1000 events (100%), 500 events/s",
		"loaded 1000/1000 events in 2.05s, 488 events/s",
	}, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"))
	assert.NotContains(t, out.String(), "\r")
}

func TestProgressRateModeShowsTime(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := newProgress(&out, Config{Rate: 100, Duration: 10 * time.Second}, progressStart)
	p.update(at(5*time.Second), 480)
	assert.Equal(t, "loaded 480 events, 5s/10s (50%), 96 events/s\n", out.String())
}

// On a terminal one line is redrawn with \r: a bar, done/total, events/s.
func TestProgressRedrawsOneTerminalLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := newProgress(&out, Config{Count: 1000}, progressStart)
	p.terminal = true // a bytes.Buffer is no terminal; the drawing is what is tested
	p.update(at(200*time.Millisecond), 100)
	p.update(at(400*time.Millisecond), 500)
	p.finish(at(time.Second), 1000)

	lines := strings.Split(out.String(), "\r")
	require.Len(t, lines, 4, "three draws, each starting with \\r: %q", out.String())
	assert.Equal(t, "[###---------------------------] 100/1000 events, 500 events/s", lines[1])
	assert.True(t, strings.HasPrefix(lines[2], "[###############---------------] 500/1000 events, 2000 events/s"), lines[2])
	assert.True(t, strings.HasPrefix(lines[3], "[##############################] loaded 1000/1000 events in 1s, 1000 events/s"), lines[3])
	assert.True(t, strings.HasSuffix(out.String(), "\n"), "the final line ends the display")
	assert.Equal(t, 1, strings.Count(out.String(), "\n"))
}

func TestIsTerminal(t *testing.T) {
	t.Parallel()
	assert.False(t, isTerminal(&bytes.Buffer{}))
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f), "a regular file")
}
