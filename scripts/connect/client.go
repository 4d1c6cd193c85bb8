// Package connect talks to the Kafka Connect REST API: register a connector
// idempotently and wait until it runs.
package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Connector is a connector definition as Connect's POST /connectors takes
// it, and as debezium/*.json files hold it.
type Connector struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
}

// Status is GET /connectors/<name>/status.
type Status struct {
	Name      string `json:"name"`
	Connector struct {
		State string `json:"state"`
		Trace string `json:"trace,omitempty"`
	} `json:"connector"`
	Tasks []struct {
		ID    int    `json:"id"`
		State string `json:"state"`
		Trace string `json:"trace,omitempty"`
	} `json:"tasks"`
}

// Running reports whether the connector and all its tasks (at least one)
// are RUNNING.
func (s Status) Running() bool {
	if s.Connector.State != "RUNNING" || len(s.Tasks) == 0 {
		return false
	}
	for _, t := range s.Tasks {
		if t.State != "RUNNING" {
			return false
		}
	}
	return true
}

// Failed returns the first failure trace, if the connector or a task failed.
func (s Status) Failed() (string, bool) {
	if s.Connector.State == "FAILED" {
		return s.Connector.Trace, true
	}
	for _, t := range s.Tasks {
		if t.State == "FAILED" {
			return t.Trace, true
		}
	}
	return "", false
}

// Client is a Connect REST client.
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// NewClient returns a client for the worker at baseURL.
func NewClient(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// WaitReady waits until the worker answers GET /connectors.
func (c *Client) WaitReady(ctx context.Context) error {
	for {
		var names []string
		err := c.do(ctx, http.MethodGet, "/connectors", nil, &names)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("connect: %s not ready: %w", c.BaseURL, errors.Join(ctx.Err(), err))
		case <-time.After(time.Second):
		}
	}
}

// Put creates or updates the connector (PUT /connectors/<name>/config is
// idempotent: the same config twice changes nothing).
func (c *Client) Put(ctx context.Context, conn Connector) error {
	if conn.Name == "" || len(conn.Config) == 0 {
		return errors.New("connect: connector needs a name and a config")
	}
	return c.do(ctx, http.MethodPut, "/connectors/"+conn.Name+"/config", conn.Config, nil)
}

// Status returns the connector's status.
func (c *Client) Status(ctx context.Context, name string) (Status, error) {
	var s Status
	err := c.do(ctx, http.MethodGet, "/connectors/"+name+"/status", nil, &s)
	return s, err
}

// RestartFailed restarts the connector's failed instances, itself and its
// tasks (POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true).
func (c *Client) RestartFailed(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodPost, "/connectors/"+name+"/restart?includeTasks=true&onlyFailed=true", nil, nil)
}

// WaitRunning waits until the connector and its tasks run, and fails early
// when one of them failed.
func (c *Client) WaitRunning(ctx context.Context, name string) (Status, error) {
	for {
		s, err := c.Status(ctx, name)
		if err == nil {
			if s.Running() {
				return s, nil
			}
			if trace, failed := s.Failed(); failed {
				return s, fmt.Errorf("connect: connector %s failed: %s", name, firstLines(trace, 5))
			}
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("connect: connector %s not running (state %q): %w", name, s.Connector.State, errors.Join(ctx.Err(), err))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &StatusError{Method: method, Path: path, Code: resp.StatusCode,
			Message: fmt.Sprintf("%s: %s", resp.Status, firstLines(string(raw), 3))}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// StatusError is a REST call answered with a status other than 2xx.
type StatusError struct {
	Method, Path string
	Code         int
	Message      string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("connect: %s %s: %s", e.Method, e.Path, e.Message)
}

// IsNotFound reports whether err is a 404 answer (no such connector).
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
