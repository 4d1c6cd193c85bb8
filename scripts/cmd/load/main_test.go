package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/internal/cli"
	"github.com/activityapp/event-processor/scripts/loadgen"
	"github.com/activityapp/event-processor/testkit/pgtest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestInvalidFlagsGiveOneLineAndStatus2(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		names string
	}{
		{[]string{"-n", "ten"}, "-n"},
		{[]string{"-n", "-3"}, "-n (Count)"},
		{[]string{"-rate", "50"}, "-for (Duration) is required"},
		{[]string{"-for", "10s"}, "-rate (Rate) is required"},
		{[]string{"-n", "10", "-rate", "5", "-for", "1s"}, "not both"},
		{[]string{"-rate", "5", "-for", "soon"}, "-for"},
		{[]string{"-n", "10", "-mix", "user=50"}, "-mix"},
		{[]string{"-n", "10", "-mix", "user=50,fun=50"}, `unknown category "fun"`},
		{[]string{"-n", "10", "-workers", "0"}, "-workers"},
		{[]string{"-n", "10", "-seed", "x"}, "-seed"},
		{[]string{"-n", "10", "-bogus"}, "-bogus"},
		{[]string{"-n", "10", "extra"}, `unexpected argument "extra"`},
		{nil, "give -n (Count), or -rate (Rate) with -for (Duration)"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, env(nil), &stdout, &stderr)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%v: one line, got %q", tc.args, stderr.String())
		assert.Contains(t, stderr.String(), tc.names, "%v", tc.args)
		assert.True(t, strings.HasPrefix(stderr.String(), "load: "))
		assert.Empty(t, stdout.String())
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, exitOK, run(context.Background(), []string{"-h"}, env(nil), &stdout, &stderr))
	assert.Contains(t, stderr.String(), "usage: load")
	assert.Contains(t, stderr.String(), "-rate")
}

func TestPostgresURLFromEnvironment(t *testing.T) {
	cfg, err := parseFlags([]string{"-n", "1"}, env(nil), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, cli.PostgresURL, cfg.PostgresURL)

	cfg, err = parseFlags([]string{"-n", "1"}, env(map[string]string{"POSTGRES_URL": "postgres://db/x"}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "postgres://db/x", cfg.PostgresURL)

	cfg, err = parseFlags([]string{"-n", "1", "-postgres", "postgres://flag/y"}, env(map[string]string{"POSTGRES_URL": "postgres://db/x"}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "postgres://flag/y", cfg.PostgresURL, "the flag wins")
	assert.Equal(t, loadgen.DefaultMix(), cfg.Mix)
	assert.Equal(t, loadgen.DefaultWorkers, cfg.Workers)
}

// The command against a real PostgreSQL: rows written, summary on stdout,
// progress on stderr.
func TestLoadWritesAndSummarises(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := pgtest.Start(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	require.NoError(t, srv.CreateDatabase(ctx, "activity"))
	require.NoError(t, srv.ApplyFiles(ctx, "activity", "../../../deployments/postgres"))

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-n", "120", "-seed", "3", "-mix", "user=50,activity=50"},
		env(map[string]string{"POSTGRES_URL": srv.URL("activity")}), &stdout, &stderr)
	require.Equal(t, exitOK, code, "stderr: %s", stderr.String())
	assert.Contains(t, stdout.String(), "seed 3, mix user=50,activity=50,participant=0, 4 workers")
	assert.Contains(t, stdout.String(), "wrote 120 of 120 events in ")
	assert.Contains(t, stdout.String(), "UserCreated")
	assert.NotContains(t, stdout.String(), "ParticipantJoined")
	assert.Contains(t, stderr.String(), "loaded 120/120 events")

	conn, err := pgx.Connect(ctx, srv.URL("activity"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var rows int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM activity.event_outbox`).Scan(&rows))
	assert.Equal(t, 120, rows)
}
