package cli_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/activityapp/event-processor/scripts/internal/cli"
)

func TestEnvFallsBackWhenUnsetOrEmpty(t *testing.T) {
	env := map[string]string{"SET": "value", "EMPTY": ""}
	getenv := func(k string) string { return env[k] }
	assert.Equal(t, "value", cli.Env(getenv, "SET", "fallback"))
	assert.Equal(t, "fallback", cli.Env(getenv, "EMPTY", "fallback"))
	assert.Equal(t, "fallback", cli.Env(getenv, "UNSET", "fallback"))
}
