package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/jackc/pgx/v5"
)

// ApplyFiles runs every *.sql file of dir, in name order, against database
// db: what PostgreSQL's docker-entrypoint-initdb.d does with the project's
// deployments/postgres scripts.
func (s *Server) ApplyFiles(ctx context.Context, db, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("pgtest: no *.sql files in %s", dir)
	}
	sort.Strings(files)
	conn, err := pgx.Connect(ctx, s.URL(db))
	if err != nil {
		return fmt.Errorf("pgtest: connect to %q: %w", db, err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	for _, f := range files {
		sql, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		// The simple protocol runs a multi-statement script in one call.
		if _, err := conn.Exec(ctx, string(sql), pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("pgtest: %s: %w", filepath.Base(f), err)
		}
	}
	return nil
}
