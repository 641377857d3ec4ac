package store

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// Migrate applies, in name order, the migrations of files
// (migrations/*.sql) that applied does not name, after refusing a database
// a newer binary migrated (CheckSchema). apply runs one and records its
// name, in the transaction the caller holds.
func Migrate(files fs.FS, applied []string, apply func(name, body string) error) error {
	names, err := fs.Glob(files, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if err := CheckSchema(applied, names); err != nil {
		return err
	}
	for _, name := range names {
		if slices.Contains(applied, name) {
			continue
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		if err := apply(name, string(body)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// CheckSchema refuses a database that a newer binary migrated: applied are
// the versions the database records, known the migrations this binary has.
// Running on a schema it does not know, a binary could misread or damage
// rows, so it stops at start and says what to do.
func CheckSchema(applied, known []string) error {
	var unknown []string
	for _, v := range applied {
		if !slices.Contains(known, v) {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	name := func(v string) string { return strings.TrimSuffix(path.Base(v), ".sql") }
	latest := "none"
	if len(known) > 0 {
		latest = name(slices.Max(known))
	}
	return fmt.Errorf("the database is at schema version %s, newer than this binary knows (%s); upgrade plugin-server",
		name(slices.Max(unknown)), latest)
}
