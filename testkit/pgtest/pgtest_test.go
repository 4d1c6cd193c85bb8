package pgtest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/activityapp/event-processor/testkit/pgtest"
)

func TestStartQueryStop(t *testing.T) {
	ctx := context.Background()

	began := time.Now()
	srv, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pgtest.Start took %v", time.Since(began))
	t.Cleanup(func() { _ = srv.Stop() })

	if err := srv.CreateDatabase(ctx, "Activity-Test"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, srv.URL("Activity-Test"))
	if err != nil {
		t.Fatalf("connect to created database: %v", err)
	}
	defer conn.Close(ctx)

	for setting, want := range map[string]string{
		"wal_level":       "logical",
		"fsync":           "off",
		"max_connections": "200",
		"shared_buffers":  "64MB",
		"server_encoding": "UTF8",
	} {
		var got string
		if err := conn.QueryRow(ctx, "SHOW "+setting).Scan(&got); err != nil {
			t.Fatalf("SHOW %s: %v", setting, err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}

	if _, err := conn.Exec(ctx, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("create and fill table: %v", err)
	}

	if err := srv.CreateDatabase(ctx, "Activity-Test"); err == nil {
		t.Error("creating an existing database succeeded, want an error")
	}

	conn.Close(ctx)
	began = time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Stop took %v", time.Since(began))
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	if _, err := pgx.Connect(ctx, srv.URL("postgres")); err == nil {
		t.Error("server still accepts connections after Stop")
	}
}

func TestStopRemovesDirectory(t *testing.T) {
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "pgtest-*"))
	srv, err := pgtest.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "pgtest-*"))
	created := difference(after, before)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range created {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after Stop (stat error: %v)", dir, err)
		}
	}
}

func difference(a, b []string) []string {
	seen := make(map[string]bool, len(b))
	for _, s := range b {
		seen[s] = true
	}
	var out []string
	for _, s := range a {
		if !seen[s] {
			out = append(out, s)
		}
	}
	return out
}
