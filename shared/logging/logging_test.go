package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/logging"
)

func parse(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

func TestContextAttrsReachEveryLine(t *testing.T) {
	var buf bytes.Buffer
	logger := logging.New(&buf, slog.LevelInfo, "user-projector")

	ctx := logging.WithAttrs(context.Background(), slog.String("correlation_id", "corr-1"))
	ctx = logging.WithAttrs(ctx, slog.String("event_id", "e-1"))
	assert.Len(t, logging.Attrs(ctx), 2)
	assert.Empty(t, logging.Attrs(context.Background()))

	logger.InfoContext(ctx, "projected", slog.Int("n", 1))
	logger.With("component", "repo").WarnContext(ctx, "slow")
	logger.Info("no context")
	logger.DebugContext(ctx, "below the level")

	lines := parse(t, &buf)
	require.Len(t, lines, 3)
	assert.Equal(t, "projected", lines[0]["msg"])
	assert.Equal(t, "user-projector", lines[0]["service"])
	assert.Equal(t, "corr-1", lines[0]["correlation_id"])
	assert.Equal(t, "e-1", lines[0]["event_id"])
	assert.EqualValues(t, 1, lines[0]["n"])

	assert.Equal(t, "repo", lines[1]["component"])
	assert.Equal(t, "WARN", lines[1]["level"])
	assert.Equal(t, "corr-1", lines[1]["correlation_id"], "loggers derived with With keep the context attrs")

	assert.NotContains(t, lines[2], "correlation_id")

	// A derived context does not change its parent's attributes.
	child := logging.WithAttrs(ctx, slog.String("x", "1"))
	assert.Len(t, logging.Attrs(child), 3)
	assert.Len(t, logging.Attrs(ctx), 2)
}

func TestWatermillLevels(t *testing.T) {
	var buf bytes.Buffer
	wl := logging.Watermill(logging.New(&buf, slog.LevelInfo, "svc"))
	wl.Trace("trace", nil)
	wl.Debug("debug", nil)
	wl.Info("info is chatty", watermill.LogFields{"a": 1})
	wl.Error("broken", errors.New("boom"), watermill.LogFields{"topic": "t"})

	lines := parse(t, &buf)
	require.Len(t, lines, 1, "Watermill's Info maps to Debug: %s", buf.String())
	assert.Equal(t, "broken", lines[0]["msg"])
	assert.Equal(t, "ERROR", lines[0]["level"])
	assert.Equal(t, "t", lines[0]["topic"])

	buf.Reset()
	wl = logging.Watermill(logging.New(&buf, slog.LevelDebug, "svc"))
	wl.Trace("trace", nil)
	wl.Info("info", nil)
	lines = parse(t, &buf)
	require.Len(t, lines, 1)
	assert.Equal(t, "info", lines[0]["msg"])
	assert.Equal(t, "DEBUG", lines[0]["level"])
}
