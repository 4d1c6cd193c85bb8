package mongotest

import (
	"crypto/rand"
	"strings"
	"testing"
)

// maxNameLen keeps database names short. FerretDB accepts
// ^[a-zA-Z0-9_-]{1,63}$ (a PostgreSQL schema name holds at most 63 bytes),
// MongoDB allows 63 bytes; 38 leaves room for prefixes added later and
// keeps names readable in logs.
const maxNameLen = 38

// suffixLen random characters make a name unique across tests, parallel
// runs and reruns against a shared TEST_MONGODB_URI server.
const suffixLen = 8

// UniqueDatabaseName returns a fresh database name for t: its lowercased test
// name, reduced to [a-z0-9_], plus "_" and a random suffix, at most 38
// characters, e.g. "testupsertsuser_sub_k3j9x0qa".
//
// Lowercase only: MongoDB refuses a database whose name differs only in case
// from an existing one, so mixed case is a portability trap. FerretDB stores
// each database as a PostgreSQL schema of the same name and ignores schemas
// starting with "pg_" (reserved by PostgreSQL); such names, and "_ferretdb_",
// which FerretDB reserves, are avoided by prefixing "t".
func UniqueDatabaseName(t testing.TB) string {
	return databaseName(t.Name())
}

func databaseName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '/' || r == '_' || r == '-' || r == ' ':
			b.WriteByte('_')
		}
	}
	prefix := b.String()
	if prefix == "" || strings.HasPrefix(prefix, "pg_") || strings.HasPrefix(prefix, "_") {
		prefix = "t" + prefix
	}
	if limit := maxNameLen - 1 - suffixLen; len(prefix) > limit {
		prefix = prefix[:limit]
	}
	return prefix + "_" + randomSuffix()
}

func randomSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	buf := make([]byte, suffixLen)
	_, _ = rand.Read(buf) // never fails (crypto/rand panics instead)
	for i, c := range buf {
		buf[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(buf)
}
