package loadgen

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg := Config{PostgresURL: "postgres://x", Count: 10}
	cfg.setDefaults()
	require.NoError(t, cfg.Validate())
	assert.Equal(t, DefaultMix(), cfg.Mix)
	assert.Equal(t, DefaultWorkers, cfg.Workers)
	assert.NotZero(t, cfg.Seed, "a random seed, reported in the result")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, cfg.RunID)
	assert.Equal(t, ModeCount, cfg.mode())
	assert.Equal(t, 10, cfg.planned())

	other := Config{PostgresURL: "postgres://x", Count: 10}
	other.setDefaults()
	assert.NotEqual(t, cfg.RunID, other.RunID, "every run its own id")

	rate := Config{PostgresURL: "postgres://x", Rate: 50, Duration: 3 * time.Second, Seed: 5, RunID: "r"}
	rate.setDefaults()
	require.NoError(t, rate.Validate())
	assert.Equal(t, ModeRate, rate.mode())
	assert.Equal(t, 150, rate.planned())
	assert.Equal(t, uint64(5), rate.Seed, "a given seed stays")
	assert.Equal(t, "r", rate.RunID)
}

func TestConfigValidateNamesTheField(t *testing.T) {
	t.Parallel()
	valid := func() Config {
		c := Config{PostgresURL: "postgres://x", Count: 10}
		c.setDefaults()
		return c
	}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		names  string
	}{
		{"no url", func(c *Config) { c.PostgresURL = "" }, "-postgres (PostgresURL)"},
		{"negative count", func(c *Config) { c.Count = -1 }, "-n (Count)"},
		{"no mode", func(c *Config) { c.Count = 0 }, "give -n (Count), or -rate (Rate) with -for (Duration)"},
		{"both modes", func(c *Config) { c.Rate, c.Duration = 10, time.Second }, "not both"},
		{"rate without duration", func(c *Config) { c.Count, c.Rate = 0, 10 }, "-for (Duration) is required"},
		{"duration without rate", func(c *Config) { c.Count, c.Duration = 0, time.Second }, "-rate (Rate) is required"},
		{"negative rate", func(c *Config) { c.Count, c.Rate, c.Duration = 0, -1, time.Second }, "-rate (Rate) must not be negative"},
		{"negative duration", func(c *Config) { c.Count, c.Rate, c.Duration = 0, 1, -time.Second }, "-for (Duration) must not be negative"},
		{"plans nothing", func(c *Config) { c.Count, c.Rate, c.Duration = 0, 1, 500*time.Millisecond }, "plans no event"},
		{"no workers", func(c *Config) { c.Workers = -1 }, "-workers (Workers)"},
		{"bad mix", func(c *Config) { c.Mix = Mix{User: 30} }, "-mix (Mix)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.change(&cfg)
			err := cfg.Validate()
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.ErrorContains(t, err, tc.names)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	_, err := New(Config{PostgresURL: "postgres://x", Count: -5})
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = New(Config{PostgresURL: "not a url ::", Count: 5})
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, "-postgres")
}
