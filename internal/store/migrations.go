package store

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

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
