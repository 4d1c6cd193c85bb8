package connect_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/activityapp/event-processor/scripts/connect"
)

// fakeConnect answers like a Connect worker that becomes ready after a few
// requests and runs a connector a few polls after it was put.
type fakeConnect struct {
	mu        sync.Mutex
	requests  int
	puts      []map[string]string
	polls     int
	failTrace string
}

func (f *fakeConnect) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	switch {
	case f.requests < 3:
		http.Error(w, "starting", http.StatusServiceUnavailable)
	case r.Method == http.MethodGet && r.URL.Path == "/connectors":
		_, _ = w.Write([]byte(`[]`))
	case r.Method == http.MethodPut && r.URL.Path == "/connectors/outbox/config":
		var cfg map[string]string
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &cfg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.puts = append(f.puts, cfg)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{}`))
	case r.Method == http.MethodGet && r.URL.Path == "/connectors/outbox/status":
		f.polls++
		state, task := "RUNNING", "UNASSIGNED"
		if f.polls >= 3 {
			task = "RUNNING"
		}
		if f.failTrace != "" {
			task = "FAILED"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"name":      "outbox",
			"connector": map[string]string{"state": state},
			"tasks":     []map[string]any{{"id": 0, "state": task, "trace": f.failTrace}},
		})
	default:
		http.NotFound(w, r)
	}
}

func TestRegisterWaitsForWorkerThenForRunningTasks(t *testing.T) {
	fake := &fakeConnect{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	c := connect.NewClient(srv.URL + "/")
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	conn := connect.Connector{Name: "outbox", Config: map[string]string{"connector.class": "x", "slot.name": "s"}}
	if err := c.Put(ctx, conn); err != nil {
		t.Fatal(err)
	}
	s, err := c.WaitRunning(ctx, "outbox")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Running() || fake.polls < 3 {
		t.Fatalf("returned before the task ran: %+v after %d polls", s, fake.polls)
	}
	if len(fake.puts) != 1 || fake.puts[0]["slot.name"] != "s" {
		t.Fatalf("PUT bodies: %v", fake.puts)
	}
}

func TestWaitRunningFailsFastOnAFailedTask(t *testing.T) {
	fake := &fakeConnect{requests: 10, failTrace: "org.postgresql.util.PSQLException: FATAL: password authentication failed\n\tat ..."}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := connect.NewClient(srv.URL).WaitRunning(ctx, "outbox")
	if err == nil || ctx.Err() != nil {
		t.Fatalf("want an early failure, got %v (ctx %v)", err, ctx.Err())
	}
	if want := "password authentication failed"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not carry the trace %q", err, want)
	}
}

func TestPutRejectsEmptyDefinitions(t *testing.T) {
	if err := connect.NewClient("http://127.0.0.1:1").Put(context.Background(), connect.Connector{Name: "x"}); err == nil {
		t.Fatal("a connector without config was accepted")
	}
}
