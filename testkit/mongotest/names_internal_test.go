package mongotest

import (
	"context"
	"strings"
	"testing"
)

func TestDatabaseName(t *testing.T) {
	for _, tc := range []struct {
		testName, wantPrefix string
	}{
		{"TestUsers", "testusers_"},
		{"TestUsers/Sub Test-1", "testusers_sub_test_1_"},
		{"pg_catalog", "tpg_catalog_"},
		{"_ferretdb_x", "t_ferretdb_x_"},
		{"ÄÖÜ", "t_"},
		{"", "t_"},
		{strings.Repeat("a", 100), strings.Repeat("a", 29) + "_"},
	} {
		got := databaseName(tc.testName)
		if !strings.HasPrefix(got, tc.wantPrefix) || len(got) != len(tc.wantPrefix)+suffixLen || len(got) > maxNameLen {
			t.Errorf("databaseName(%q) = %q, want %q followed by %d random characters, at most %d in all",
				tc.testName, got, tc.wantPrefix, suffixLen, maxNameLen)
		}
	}
}

func TestStartWithExternalURI(t *testing.T) {
	const uri = "mongodb://mongo.example:27017/?replicaSet=rs0"
	t.Setenv(URIEnv, uri)

	srv, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if srv.URI() != uri {
		t.Errorf("URI() = %q, want %q", srv.URI(), uri)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("Stop of an external server: %v", err)
	}
}
