package app

import (
	"context"
	"fmt"

	"pluginserver/internal/config"
	"pluginserver/internal/store"
	"pluginserver/internal/store/postgres"
	"pluginserver/internal/store/sqlite"
)

// MigrateDB copies a SQLite install into an empty PostgreSQL database, in
// one transaction, row for row: sealed secrets and tokens go as they are
// (never opened, never written anywhere else), so the replicas need the
// key the SQLite install used. It returns how many rows each table got.
func MigrateDB(ctx context.Context, from, to string) (map[string]int, error) {
	if config.IsPostgres(from) || !config.IsPostgres(to) {
		return nil, fmt.Errorf("migrate-db copies a SQLite file (--from) into a postgres:// database (--to)")
	}
	src, err := sqlite.OpenExisting(ctx, from)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, to, postgres.Options{MaxConns: 2})
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	counts := map[string]int{}
	err = dst.Import(ctx, func(put func(table string, columns []string, values []any) error) error {
		for _, table := range store.Tables() {
			counts[table] = 0
			if err := src.Export(ctx, table, func(columns []string, values []any) error {
				counts[table]++
				return put(table, columns, values)
			}); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}
