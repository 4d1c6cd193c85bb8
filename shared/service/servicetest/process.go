package servicetest

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/testkit/kafkatest"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

// Binary builds the main package in the current directory (a service's
// cmd/<name>, where its tests run) and returns the executable's path.
func Binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "service")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// CheckConfigErrorStopsAtStart runs the binary with an invalid setting: it
// must exit 2 at once, printing one line that names the variable.
func CheckConfigErrorStopsAtStart(t *testing.T, bin string) {
	for variable, value := range map[string]string{
		"KAFKA_BROKERS":   "no-port",
		"MONGODB_URI":     "http://localhost",
		"HANDLER_TIMEOUT": "soon",
	} {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), variable+"="+value)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, variable)
		assert.Equal(t, 2, exit.ExitCode(), variable)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		assert.Len(t, lines, 1, "one line: %q", stderr.String())
		assert.Contains(t, lines[0], variable)
	}
}

// CheckGracefulStop runs the binary against an in-process Kafka and a
// database, waits until it is ready, sends SIGTERM and expects exit code 0
// well within its close timeout.
func CheckGracefulStop(t *testing.T, bin string, service string) {
	cluster := kafkatest.Start(t, 12, Topic)
	db := mongotest.Database(t)
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"KAFKA_BROKERS="+strings.Join(cluster.Brokers(), ","),
		"MONGODB_URI="+mongotest.URI(t),
		"MONGODB_DATABASE="+db.Name(),
		"HTTP_ADDR="+addr,
		"HANDLER_TIMEOUT=5s",
		"CLOSE_TIMEOUT=10s",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false // set once this goroutine has received from exited
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			if err := <-exited; err != nil {
				t.Logf("%s killed: %v", service, err)
			}
		}
	})

	deadline := time.Now().Add(WaitTimeout)
	for !ready(addr) {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("%s exited before it was ready: %v\n%s", service, err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %v:\n%s", service, WaitTimeout, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	began := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		stopped = true
		require.NoError(t, err, "exit code after SIGTERM:\n%s", out.String())
		assert.Less(t, time.Since(began), 10*time.Second, "stopped within CLOSE_TIMEOUT")
		assert.Contains(t, out.String(), `"msg":"projector stopped"`)
	case <-time.After(WaitTimeout):
		t.Fatalf("%s still running %v after SIGTERM:\n%s", service, WaitTimeout, out.String())
	}
}

func ready(addr string) bool {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
