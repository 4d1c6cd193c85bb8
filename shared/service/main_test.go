package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/config"
)

func TestRunConfigErrorExitsWithTwo(t *testing.T) {
	tests := map[string]map[string]string{
		"KAFKA_BROKERS":         {"KAFKA_BROKERS": "bad"},
		"MONGODB_URI":           {"MONGODB_URI": "http://x"},
		"HANDLER_TIMEOUT":       {"HANDLER_TIMEOUT": "-1s"},
		"PANIC_ATTEMPTS":        {"PANIC_ATTEMPTS": "0"},
		"LOG_LEVEL":             {"LOG_LEVEL": "loud"},
		"KAFKA_TOPIC":           {"KAFKA_TOPIC": "bad topic!"},
		"KAFKA_POISON_TOPIC":    {"KAFKA_TOPIC": "t", "KAFKA_POISON_TOPIC": "t"},
		"MONGODB_DATABASE":      {"MONGODB_DATABASE": "a/b"},
		"HTTP_ADDR":             {"HTTP_ADDR": "8080"},
		"CLOSE_TIMEOUT":         {"HANDLER_TIMEOUT": "30s", "CLOSE_TIMEOUT": "30s"},
		"MONGODB_WRITE_CONCERN": {"MONGODB_WRITE_CONCERN": "0"},
	}
	for variable, env := range tests {
		t.Run(variable, func(t *testing.T) {
			injected := false
			inject := func(context.Context, config.Config, *config.Env) (*Runner, func(), error) {
				injected = true
				return nil, nil, errors.New("must not be called")
			}
			var stderr bytes.Buffer
			code := run("user-projector", inject, config.MapLookup(env), &stderr)

			assert.Equal(t, 2, code)
			assert.False(t, injected, "the injector ran despite a bad configuration")
			out := stderr.String()
			require.True(t, strings.HasSuffix(out, "\n"), "stderr %q does not end with a newline", out)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			require.Len(t, lines, 1, "stderr: %q", out)
			assert.Contains(t, lines[0], variable)
			assert.True(t, strings.HasPrefix(lines[0], "user-projector: "), "line %q does not name the service", lines[0])
		})
	}
}

func TestRunInjectorErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"config error from a service variable", &config.Error{Variable: "STATS_WINDOW", Reason: "bad"}, 2},
		{"wrapped config error", fmt.Errorf("wire: %w", &config.Error{Variable: "X", Reason: "bad"}), 2},
		{"other error", errors.New("mongodb: connection refused"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var got config.Config
			inject := func(_ context.Context, cfg config.Config, env *config.Env) (*Runner, func(), error) {
				calls++
				got = cfg
				require.NotNil(t, env)
				return nil, nil, tt.err
			}
			var stderr bytes.Buffer
			code := run("svc", inject, config.MapLookup(map[string]string{"KAFKA_TOPIC": "in"}), &stderr)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, 1, calls)
			assert.Equal(t, "in", got.Kafka.Topic, "the injector gets the loaded config")
			assert.Equal(t, "svc: "+tt.err.Error()+"\n", stderr.String())
		})
	}
}
