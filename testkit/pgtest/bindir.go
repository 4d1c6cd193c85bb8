package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// findBinDir locates the directory holding initdb and postgres.
//
// Debian keeps server binaries out of $PATH (only wrappers such as
// pg_ctlcluster are there), so we cannot simply exec "postgres". The order is:
// $PG_BINDIR, then `pg_config --bindir` (which on Debian may name the client
// package's bin directory, so we check that initdb is really there), then the
// highest version under /usr/lib/postgresql.
func findBinDir() (string, error) {
	if dir := os.Getenv("PG_BINDIR"); dir != "" {
		if !hasServerBinaries(dir) {
			return "", fmt.Errorf("PG_BINDIR=%s does not contain initdb and postgres", dir)
		}
		return dir, nil
	}

	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); hasServerBinaries(dir) {
			return dir, nil
		}
	}

	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}

	return "", fmt.Errorf("no PostgreSQL server binaries found: set PG_BINDIR, " +
		"put pg_config on $PATH or install postgresql (Debian: /usr/lib/postgresql/<version>/bin)")
}

// versionOf returns the major version in /usr/lib/postgresql/<version>/bin,
// so that 15 sorts above 9.6 (a string sort would not).
func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}
