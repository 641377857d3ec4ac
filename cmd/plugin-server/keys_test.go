package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pluginserver/plugin/linkedin/sandbox"
)

func newKey() string {
	k := make([]byte, 32)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// linkedInOutside runs the emulator outside the server, so tokens outlive
// server restarts.
func linkedInOutside(t *testing.T) map[string]string {
	t.Helper()
	fake := httptest.NewUnstartedServer(nil)
	fake.Config.Handler = sandbox.New(sandbox.Options{BaseURL: "http://" + fake.Listener.Addr().String()})
	fake.Start()
	t.Cleanup(fake.Close)
	return sandbox.Env(fake.URL)
}

func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// authorizedDatasource creates and authorizes a datasource through s, on
// the sandbox's app named in its config.
func (s *server) authorizedDatasource() string {
	return s.authorizedAs(adminKey, map[string]any{"clientId": sandbox.ClientID, "clientSecret": sandbox.ClientSecret})
}

func (s *server) works(id string) bool {
	s.t.Helper()
	status, env := s.execute(builderKey, id, "getUserInfo", nil)
	return status == 200 && get(env, "output", "sub") == "782bbtaQ"
}

func runQuiet(args []string, env map[string]string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, io.Discard)
	return out.String(), err
}

func TestWrongKeyIsRefusedAtStart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := linkedInOutside(t)
	right := with(env, "PLUGIN_SERVER_SECRET_KEY", newKey())
	s := startServer(t, right, "--db", db)
	s.authorizedDatasource()
	s.stop()
	_, err := runQuiet([]string{"--addr", "127.0.0.1:0", "--db", db}, with(env, "PLUGIN_SERVER_SECRET_KEY", newKey(), "PLUGIN_SERVER_API_KEYS", adminKey+":admin:acme"))
	if err == nil || !strings.Contains(err.Error(), "is not the key") {
		t.Fatalf("started with another key: %v", err)
	}
}

func TestRotateKeyFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := linkedInOutside(t)
	s := startServer(t, env, "--db", db)
	id := s.authorizedDatasource()
	s.stop()
	oldKey, _ := os.ReadFile(db + ".key")

	out, err := runQuiet([]string{"rotate-key", "--db", db}, nil)
	if err != nil || !strings.Contains(out, "re-sealed 3 secrets") {
		t.Fatalf("rotate-key: %v\n%s", err, out)
	}
	newKey, _ := os.ReadFile(db + ".key")
	if bytes.Equal(oldKey, newKey) || len(newKey) == 0 {
		t.Fatal("the key file did not change")
	}
	if _, err := os.Stat(db + ".key.new"); !os.IsNotExist(err) {
		t.Fatal("the pending key file was left behind")
	}
	s = startServer(t, env, "--db", db)
	if !s.works(id) {
		t.Fatal("the token does not open under the new key")
	}
	s.stop()
	_, err = runQuiet([]string{"--addr", "127.0.0.1:0", "--db", db}, with(env, "PLUGIN_SERVER_SECRET_KEY", strings.TrimSpace(string(oldKey))))
	if err == nil || !strings.Contains(err.Error(), "is not the key") {
		t.Fatalf("the old key still opens the store: %v", err)
	}
}

func TestRotateKeyFromTheEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	env := linkedInOutside(t)
	oldKey, nextKey := newKey(), newKey()
	s := startServer(t, with(env, "PLUGIN_SERVER_SECRET_KEY", oldKey), "--db", db)
	id := s.authorizedDatasource()
	s.stop()
	if _, err := runQuiet([]string{"rotate-key", "--db", db}, map[string]string{"PLUGIN_SERVER_SECRET_KEY": oldKey}); err == nil {
		t.Fatal("rotated without a new key while the key comes from the environment")
	}
	out, err := runQuiet([]string{"rotate-key", "--db", db}, map[string]string{"PLUGIN_SERVER_SECRET_KEY": oldKey, "PLUGIN_SERVER_NEW_SECRET_KEY": nextKey})
	if err != nil || strings.Contains(out, nextKey) || strings.Contains(out, oldKey) {
		t.Fatalf("rotate-key: %v\n%s", err, out)
	}
	s = startServer(t, with(env, "PLUGIN_SERVER_SECRET_KEY", nextKey), "--db", db)
	if !s.works(id) {
		t.Fatal("the token does not open under the new key")
	}
}
