package pgtest_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/activityapp/event-processor/testkit/pgtest"
)

// helperEnv makes the test binary act as a test run that starts a server
// and is then killed without calling Stop.
const helperEnv = "PGTEST_ORPHAN_HELPER"

// TestServerDiesWithTestBinary checks the parent-death signal: a test binary
// killed with SIGKILL (no chance to run Stop) must not leave postgres
// running.
func TestServerDiesWithTestBinary(t *testing.T) {
	if os.Getenv(helperEnv) == "1" {
		orphanHelper()
		return
	}

	// The helper's TMPDIR is ours, so its data directory is removed with it.
	// It must be traversable by the "postgres" user when we run as root.
	tmp := t.TempDir()
	for dir := tmp; dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithTestBinary$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "TMPDIR="+tmp)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("helper printed no URL: %v", sc.Err())
	}
	url := sc.Text()
	ctx := context.Background()
	if err := ping(ctx, url); err != nil {
		t.Fatalf("helper's server at %s is not up: %v", url, err)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for ping(ctx, url) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("postgres at %s still accepts connections 10s after its test binary was killed", url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func orphanHelper() {
	srv, err := pgtest.Start(context.Background())
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString(srv.URL("postgres") + "\n")
	select {} // wait to be killed
}

func ping(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}
