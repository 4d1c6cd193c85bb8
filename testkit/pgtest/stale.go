package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dirPrefix names the temporary directories this package creates.
const dirPrefix = "pgtest-"

// staleAge is how old a directory must be before removeStaleDirs considers
// it: old enough that no concurrent Start is still between creating it and
// starting postgres.
const staleAge = 10 * time.Minute

// removeStaleDirs deletes data directories left by test binaries that were
// killed before they could call Stop (a SIGKILL, a panic in TestMain, a
// `go test -timeout` abort). Their postgres died with them thanks to the
// parent-death signal, but each directory still holds ~40 MB. A directory is
// stale when it is old and no live postmaster claims it. Errors are ignored:
// this is best-effort housekeeping and must never fail a test run.
func removeStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < staleAge {
			continue
		}
		if postmasterAlive(filepath.Join(dir, "data", "postmaster.pid")) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

// postmasterAlive reports whether the process named on the first line of a
// postmaster.pid file still exists.
func postmasterAlive(pidFile string) bool {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
