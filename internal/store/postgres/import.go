package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"pluginserver/internal/store"
)

// ErrNotEmpty is Import's refusal to write over a database in use.
var ErrNotEmpty = errors.New("the PostgreSQL database already holds data; migrate-db copies only into an empty one")

// Import writes rows in one transaction, after checking that no table
// holds any: load calls put for each row. A copy cut short leaves
// nothing behind.
func (s *Store) Import(ctx context.Context, load func(put func(table string, columns []string, values []any) error) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// Every table Import writes is checked empty first.
	for _, table := range store.Tables() {
		// The lock keeps a replica started meanwhile from writing
		// beside the copy.
		if _, err := tx.Exec(ctx, `LOCK TABLE `+table+` IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+`)`).Scan(&any); err != nil {
			return err
		}
		if any {
			return fmt.Errorf("%w (table %s has rows)", ErrNotEmpty, table)
		}
	}
	// SQLite hands back what a column holds as text or bytes whatever its
	// declared type; PostgreSQL wants each as its column's type.
	binary := map[string]bool{}
	rows, err := tx.Query(ctx, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'bytea'`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, n := range names {
		binary[n] = true
	}
	err = load(func(table string, columns []string, values []any) error {
		if !slices.Contains(store.Tables(), table) {
			return fmt.Errorf("no table %q to import", table)
		}
		for i, v := range values {
			switch v := v.(type) {
			case string:
				if binary[table+"."+columns[i]] {
					values[i] = []byte(v)
				}
			case []byte:
				if !binary[table+"."+columns[i]] {
					values[i] = string(v)
				}
			}
		}
		names := make([]string, len(columns))
		marks := make([]string, len(columns))
		for i, c := range columns {
			names[i] = pgx.Identifier{c}.Sanitize()
			marks[i] = fmt.Sprintf("$%d", i+1)
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+strings.Join(names, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`, values...)
		return err
	})
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}
