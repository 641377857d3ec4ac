package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"pluginserver/internal/store"
)

// OpenExisting opens a database file that must already exist, for a copy
// out of it: Open would make an empty one of a mistyped path.
func OpenExisting(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such SQLite file", path)
	} else if err != nil {
		return nil, err
	}
	return Open(ctx, path)
}

// Export hands each row of a table to each, with its column names, values
// as the file holds them (sealed values stay sealed).
func (s *Store) Export(ctx context.Context, table string, each func(columns []string, values []any) error) error {
	if !slices.Contains(store.Tables(), table) {
		return fmt.Errorf("no table %q to export", table)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		values := make([]any, len(columns))
		ptrs := make([]any, len(columns))
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := each(columns, values); err != nil {
			return err
		}
	}
	return rows.Err()
}
