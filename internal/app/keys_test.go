package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"pluginserver/internal/app"
	"pluginserver/internal/config"
	"pluginserver/internal/store/sqlite"
	"pluginserver/oauthbroker"
)

func openApp(t *testing.T, db string) error {
	t.Helper()
	cfg, err := config.Parse(app.ConfigDefaults(), []string{"--db", db}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resolve("127.0.0.1:8080")
	a, err := app.New(context.Background(), cfg, zerolog.Nop(), app.Options{})
	if err == nil {
		a.Close()
	}
	return err
}

// TestRotationCutShort: a crash during rotate-key leaves <db>.key.new. If
// the re-sealing committed, the next start adopts the new key; if not, it
// drops it. Either way the server starts with a key that opens the store.
func TestRotationCutShort(t *testing.T) {
	for _, committed := range []bool{false, true} {
		db := filepath.Join(t.TempDir(), "keys.db")
		if err := openApp(t, db); err != nil {
			t.Fatal(err)
		}
		oldKey, _ := os.ReadFile(db + ".key")
		next := oauthbroker.NewKey()
		if err := oauthbroker.WriteKeyFile(db+".key.new", next); err != nil {
			t.Fatal(err)
		}
		if committed {
			st, _ := sqlite.Open(context.Background(), db)
			k, _ := oauthbroker.ParseKey(string(oldKey))
			from, _ := oauthbroker.NewSealer(k)
			to, _ := oauthbroker.NewSealer(next)
			if _, err := oauthbroker.RotateKey(context.Background(), st, from, to); err != nil {
				t.Fatal(err)
			}
			st.Close()
		}
		if err := openApp(t, db); err != nil {
			t.Fatalf("committed=%v: %v", committed, err)
		}
		key, _ := os.ReadFile(db + ".key")
		want := oldKey
		if committed {
			want = []byte(base64.StdEncoding.EncodeToString(next) + "\n")
		}
		if !bytes.Equal(key, want) {
			t.Errorf("committed=%v: the key file holds the wrong key", committed)
		}
		if _, err := os.Stat(db + ".key.new"); !os.IsNotExist(err) {
			t.Errorf("committed=%v: %s.key.new left behind", committed, db)
		}
	}
}
