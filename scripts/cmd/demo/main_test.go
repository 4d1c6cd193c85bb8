package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestFlagsDefaultToTheStackOnThisHost(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags(nil, env(nil), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, defaultEvents, cfg.Load.Count, "make demo's 1,000 events")
	assert.Equal(t, []string{"localhost:29092"}, cfg.Brokers)
	assert.Equal(t, "mongodb://localhost:27017", cfg.MongoURI)
	assert.Contains(t, cfg.Load.PostgresURL, "localhost:5432/activity")

	cfg, err = parseFlags([]string{"-rate", "50", "-for", "20s", "-kafka", "a:1, b:2", "-out", "x"},
		env(map[string]string{"MONGODB_URI": "mongodb://m:1", "POSTGRES_URL": "postgres://p/activity"}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Zero(t, cfg.Load.Count, "a rate run has no count")
	assert.Equal(t, 50.0, cfg.Load.Rate)
	assert.Equal(t, 20*time.Second, cfg.Load.Duration)
	assert.Equal(t, []string{"a:1", "b:2"}, cfg.Brokers)
	assert.Equal(t, "mongodb://m:1", cfg.MongoURI)
	assert.Equal(t, "postgres://p/activity", cfg.Load.PostgresURL)
}

func TestInvalidFlagsExitTwoNamingTheFlag(t *testing.T) {
	t.Parallel()
	for args, want := range map[string][]string{
		"-mix":     {"-mix", "user=50"},
		"-workers": {"-workers", "0"},
		"-n":       {"-n", "10", "-rate", "5", "-for", "1s"},
		"-timeout": {"-timeout", "-1s"},
		"argument": {"extra"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), want, env(nil), &stdout, &stderr)
		assert.Equal(t, exitUsage, code, args)
		assert.Contains(t, stderr.String(), args, "stderr: %s", stderr.String())
		assert.Equal(t, 1, bytes.Count(stderr.Bytes(), []byte("\n")), "one line: %s", stderr.String())
	}
}
