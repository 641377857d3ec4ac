package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ps "pluginserver"

	"pluginserver/internal/store"
	"pluginserver/internal/store/sqlite"
	"pluginserver/internal/store/storetest"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "test.db")
		return open(t, path), open(t, path)
	})
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "plugin-server.db")
	s := open(t, path)
	if err := s.CreateDatasource(ctx, storetest.NewDatasource("w", "ds")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path) // migrations run again and must be a no-op
	if _, err := s.Datasource(ctx, "w", "ds"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

// TestOtherProcessesWritesAreSeen: replicas share the file; what one writes,
// another reads once Freshness has passed, though it read the row before.
func TestOtherProcessesWritesAreSeen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := open(t, path), open(t, path)
	if err := a.CreateDatasource(ctx, storetest.NewDatasource("w", "ds")); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		write func() error
		check func(d *ps.Datasource, err error) bool
	}{
		{"token", func() error { return a.SetToken(ctx, "w", "ds", &ps.Token{Access: []byte("new")}) },
			func(d *ps.Datasource, err error) bool {
				return err == nil && d.Token != nil && string(d.Token.Access) == "new"
			}},
		{"rename", func() error {
			d := storetest.NewDatasource("w", "ds")
			d.Name = "renamed"
			return a.UpdateDatasource(ctx, d)
		}, func(d *ps.Datasource, err error) bool { return err == nil && d.Name == "renamed" }},
		{"delete", func() error { return a.DeleteDatasource(ctx, "w", "ds") },
			func(d *ps.Datasource, err error) bool { return err != nil }},
	}
	for _, step := range steps {
		if _, err := b.Datasource(ctx, "w", "ds"); err != nil {
			t.Fatalf("before %s: %v", step.name, err)
		}
		if err := step.write(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * sqlite.Freshness)
		if d, err := b.Datasource(ctx, "w", "ds"); !step.check(d, err) {
			t.Fatalf("after %s, the other store read %+v, %v", step.name, d, err)
		}
	}
}

// TestNewerSchemaRefused: a file a newer binary migrated is refused at
// start, saying what to do, rather than misread.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	open(t, path).Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO schema_migrations (version) VALUES ('migrations/999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), path)
	if err == nil {
		s.Close()
		t.Fatal("opened a database at a newer schema version")
	}
	files, _ := os.ReadDir("migrations")
	latest := strings.TrimSuffix(files[len(files)-1].Name(), ".sql")
	if want := "schema version 999_future, newer than this binary knows (" + latest + "); upgrade plugin-server"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
}
