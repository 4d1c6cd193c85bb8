// Package pgtest starts a throwaway PostgreSQL server for tests.
//
// Start runs initdb into a fresh temporary directory and starts postgres on a
// free port of 127.0.0.1 with durability switched off (fsync, synchronous
// commit and full-page writes), trust authentication and wal_level=logical,
// so that Debezium-style logical replication can be tested too. It is meant
// for TestMain:
//
//	func TestMain(m *testing.M) {
//		srv, err := pgtest.Start(context.Background())
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		code := m.Run()
//		_ = srv.Stop()
//		os.Exit(code)
//	}
//
// The server binaries are found via $PG_BINDIR, `pg_config --bindir` or
// /usr/lib/postgresql/<highest version>/bin. When the tests run as root the
// server runs as the "postgres" system user, because initdb and postgres
// refuse to run as root. On Linux the server is bound to the test binary with
// a parent-death signal, so a killed or crashed test run leaves no postgres
// behind.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// defaultStartTimeout bounds Start when its context has no deadline.
	defaultStartTimeout = time.Minute
	// stopTimeout is how long Stop waits for a fast shutdown before it kills
	// the process group.
	stopTimeout = 10 * time.Second
	// portAttempts is how often Start retries when another process grabbed
	// the port between picking it and postgres binding it.
	portAttempts = 3
)

// errPortTaken marks a start that failed because the port was in use.
var errPortTaken = errors.New("port already in use")

// Server is a running PostgreSQL server. Its superuser is "postgres" and
// needs no password.
type Server struct {
	binDir string
	dir    string // temporary directory: data/, the unix socket, server.log
	port   int
	proc   *process

	stopOnce sync.Once
	stopErr  error
}

// Start initialises a new cluster in a temporary directory and starts
// postgres on it. It returns once the server accepts connections; ctx bounds
// the whole start-up (one minute when ctx has no deadline) but not the
// server's lifetime, which ends with Stop.
func Start(ctx context.Context) (*Server, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}

	binDir, err := findBinDir()
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}

	removeStaleDirs()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: create temporary directory: %w", err)
	}
	if err := chownTree(dir, cred); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: %w", err)
	}

	s := &Server{binDir: binDir, dir: dir}
	if err := s.initdb(ctx, cred); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: %w", err)
	}

	for attempt := 1; ; attempt++ {
		err = s.start(ctx, cred)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == portAttempts {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
}

// URL returns a connection URL for database db, for pgx or database/sql.
func (s *Server) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// CreateDatabase creates an empty database called name.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: create database %q: connect: %w", name, err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()

	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("pgtest: create database %q: %w", name, err)
	}
	return nil
}

// Stop shuts the server down (fast shutdown: open sessions are rolled back),
// kills its process group if it has not stopped within 10 seconds, and
// removes its directory. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	var errs []error
	if err := terminate(s.proc, syscall.SIGINT, stopTimeout); err != nil {
		errs = append(errs, fmt.Errorf("pgtest: stop postgres: %w\n%s", err, s.logTail()))
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgtest: remove %s: %w", s.dir, err))
	}
	return errors.Join(errs...)
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *Server) logPath() string { return filepath.Join(s.dir, "server.log") }

// initdb creates the cluster. --no-sync and locale C keep it fast (about a
// second) and independent of the locales installed on the machine.
func (s *Server) initdb(ctx context.Context, cred *syscall.Credential) error {
	var out strings.Builder
	cmd := exec.Command(filepath.Join(s.binDir, "initdb"),
		"--pgdata", s.dataDir(),
		"--username", "postgres",
		"--auth", "trust",
		"--encoding", "UTF8",
		"--locale", "C",
		"--no-sync",
		"--no-instructions",
	)
	cmd.Env = serverEnv()
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = sysProcAttr(cred, syscall.SIGKILL)

	p, err := startProcess(cmd)
	if err != nil {
		return fmt.Errorf("start %s: %w%s", cmd.Path, err, s.accessHint(cred))
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		_ = terminate(p, syscall.SIGKILL, 0)
		return fmt.Errorf("initdb: %w\n%s", ctx.Err(), out.String())
	}
	if p.err != nil {
		return fmt.Errorf("initdb %s: %w%s\n%s", s.dataDir(), p.err, s.accessHint(cred), out.String())
	}
	return nil
}

// start runs postgres on a fresh port and waits until it accepts
// connections.
func (s *Server) start(ctx context.Context, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port

	logFile, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer func() { _ = logFile.Close() }() // the child has its own copy of the descriptor

	cmd := exec.Command(filepath.Join(s.binDir, "postgres"), "-D", s.dataDir())
	for _, setting := range []string{
		"listen_addresses=127.0.0.1",
		"port=" + strconv.Itoa(port),
		"unix_socket_directories=" + s.dir,
		// Durability is pointless for a database that is deleted after the
		// run, and costs most of the time of small transactions.
		"fsync=off",
		"synchronous_commit=off",
		"full_page_writes=off",
		// Logical decoding for Debezium / outbox tests.
		"wal_level=logical",
		"max_connections=200",
		"shared_buffers=64MB",
	} {
		cmd.Args = append(cmd.Args, "-c", setting)
	}
	cmd.Env = serverEnv()
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// SIGQUIT is postgres' immediate shutdown: the postmaster kills its
	// backends too, so nothing survives a test binary that died.
	cmd.SysProcAttr = sysProcAttr(cred, syscall.SIGQUIT)

	p, err := startProcess(cmd)
	if err != nil {
		return fmt.Errorf("start %s: %w%s", cmd.Path, err, s.accessHint(cred))
	}
	s.proc = p

	if err := s.waitReady(ctx); err != nil {
		_ = terminate(p, syscall.SIGQUIT, stopTimeout)
		return err
	}
	return nil
}

// waitReady polls with real connections until one succeeds, the server
// exits or ctx ends. Right after start postgres refuses connections ("the
// database system is starting up"), so failures are expected for a while.
func (s *Server) waitReady(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attemptCtx, s.URL("postgres"))
		if err == nil {
			err = conn.Ping(attemptCtx)
			_ = conn.Close(attemptCtx)
		}
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err

		select {
		case <-s.proc.done:
			log := s.logTail()
			err := fmt.Errorf("postgres exited during start-up (%v); server log %s:\n%s", s.proc.err, s.logPath(), log) //nolint:errorlint // may be nil
			if strings.Contains(log, "could not bind") || strings.Contains(log, "already in use") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		case <-ctx.Done():
			//nolint:errorlint // lastErr may be nil; ctx.Err() is what callers test
			return fmt.Errorf("postgres on port %d did not accept connections: %w (last error: %v); server log %s:\n%s",
				s.port, ctx.Err(), lastErr, s.logPath(), s.logTail())
		case <-tick.C:
		}
	}
}

// accessHint explains the usual cause of "permission denied" when the
// server runs as another user than the tests.
func (s *Server) accessHint(cred *syscall.Credential) string {
	if cred == nil {
		return ""
	}
	return fmt.Sprintf(" (running as root, so the server runs as user %q, which must be able "+
		"to reach %s: every directory above it must be searchable by others; set TMPDIR elsewhere if not)",
		serverUser, s.dir)
}

// logTail returns the end of the server log for error messages.
func (s *Server) logTail() string {
	const maxLen = 4 << 10
	b, err := os.ReadFile(s.logPath())
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	if len(b) > maxLen {
		b = append([]byte("..."), b[len(b)-maxLen:]...)
	}
	return string(b)
}

// terminate sends sig to p and waits up to timeout for it to exit; then it
// kills p's whole process group (postgres backends included).
func terminate(p *process, sig syscall.Signal, timeout time.Duration) error {
	if p == nil || p.exited() {
		return nil
	}
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("send %v to pid %d: %w", sig, pid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-p.done
	if timeout == 0 {
		return nil
	}
	return fmt.Errorf("pid %d did not exit within %v of %v; killed its process group", pid, timeout, sig)
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process may
// take it before postgres binds it; Start retries in that case.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serverEnv is a minimal, predictable environment for initdb and postgres:
// libpq variables such as PGDATA or PGPORT from the developer's shell must
// not leak in, and locale C avoids depending on installed locales.
func serverEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"LC_ALL=C",
		"TZ=UTC",
	}
}
