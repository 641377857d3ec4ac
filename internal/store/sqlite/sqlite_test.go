package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

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
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "test.db"))
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
