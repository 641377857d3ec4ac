package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pluginserver/internal/store"
	"pluginserver/internal/store/sqlite"
	"pluginserver/plugin/linkedin/sandbox"
)

// TestMain lets the test binary serve as a plugin-server process, so tests
// can start real replicas of it.
func TestMain(m *testing.M) {
	if os.Getenv("PLUGIN_SERVER_TEST_CHILD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// replicaEnv is the environment of a replica process: API keys, the shared
// secret key, LinkedIn at fakeURL, no rate limit (calls at once are the
// point of these tests), and more settings as name, value pairs.
func replicaEnv(fakeURL string, key []byte, more ...string) []string {
	env := with(sandbox.Env(fakeURL), append([]string{
		"PLUGIN_SERVER_API_KEYS", adminKey + ":admin:acme," + builderKey + ":builder:acme",
		"PLUGIN_SERVER_SECRET_KEY", base64.StdEncoding.EncodeToString(key),
		"PLUGIN_SERVER_RATE_LIMIT", "0", "LOG_LEVEL", "error"}, more...)...)
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	return list
}

// fakeLinkedIn serves a LinkedIn emulator on a port of its own until the
// test ends; front, when set, stands before it (to fail or watch calls).
func fakeLinkedIn(t *testing.T, front func(linkedIn *sandbox.Sandbox) http.Handler) (*sandbox.Sandbox, string) {
	fake := httptest.NewUnstartedServer(nil)
	linkedIn := sandbox.New(sandbox.Options{BaseURL: "http://" + fake.Listener.Addr().String()})
	fake.Config.Handler = linkedIn
	if front != nil {
		fake.Config.Handler = front(linkedIn)
	}
	fake.Start()
	t.Cleanup(fake.Close)
	return linkedIn, fake.URL
}

// partnerApp is the config of a datasource on the sandbox's partner app,
// whose tokens refresh.
func partnerApp() map[string]any {
	return map[string]any{"clientId": sandbox.PartnerClientID, "clientSecret": sandbox.PartnerClientSecret}
}

// secretKey is a random PLUGIN_SERVER_SECRET_KEY, as bytes.
func secretKey() []byte {
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

// startReplica starts a plugin-server process.
func startReplica(t *testing.T, env []string, db string) *server {
	s, _ := startProcess(t, env, db)
	return s
}

// startProcess starts a plugin-server process and returns it with its URL.
func startProcess(t *testing.T, env []string, db string) (*server, *exec.Cmd) {
	t.Helper()
	return startProcessAt(t, env, db, "127.0.0.1:0")
}

// startProcessAt starts a plugin-server process listening at addr; its URL
// is the one it prints, or addr's when a public URL names another host.
func startProcessAt(t *testing.T, env []string, db, addr string) (*server, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "--addr", addr, "--db", db)
	cmd.Env = append(os.Environ(), append(env, "PLUGIN_SERVER_TEST_CHILD=1")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatal("replica printed nothing")
	}
	base, ok := strings.CutPrefix(lines.Text(), "plugin-server listening on ")
	if !ok {
		t.Fatalf("replica said %q", lines.Text())
	}
	if !strings.HasSuffix(addr, ":0") {
		base = "http://" + addr
	}
	go func() {
		for lines.Scan() {
		}
	}()
	return &server{t: t, url: base, client: &http.Client{Timeout: 30 * time.Second}}, cmd
}

// TestReplicasRefreshOnce: two server processes share one SQLite file; 200
// concurrent executes on a token about to expire make one refresh request.
func TestReplicasRefreshOnce(t *testing.T) {
	linkedIn, fakeURL := fakeLinkedIn(t, nil)
	db := filepath.Join(t.TempDir(), "shared.db")
	env := replicaEnv(fakeURL, secretKey())
	a, b := startReplica(t, env, db), startReplica(t, env, db)

	id := a.authorizedAs(adminKey, partnerApp())
	if _, ds := b.call("GET", "/v1/datasources/"+id, builderKey, nil); ds["authStatus"] != "authorized" || ds["refreshable"] != true {
		t.Fatalf("replica b sees %v", ds)
	}

	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	refreshOnce(t, st, linkedIn, id, a, b)
	_, ds := a.call("GET", "/v1/datasources/"+id, builderKey, nil)
	if expires, _ := time.Parse(time.RFC3339, ds["tokenExpiresAt"].(string)); time.Until(expires) < 59*24*time.Hour {
		t.Fatalf("token not renewed: %v", ds)
	}
}

// refreshOnce brings a datasource's token within the refresh margin, as two
// months would, through st (the replicas' store), and checks that 200
// executes spread over the replicas make LinkedIn one refresh request.
func refreshOnce(t *testing.T, st store.Store, linkedIn *sandbox.Sandbox, id string, replicas ...*server) {
	t.Helper()
	d, err := st.Datasource(context.Background(), "acme", id)
	if err != nil {
		t.Fatal(err)
	}
	d.Token.ExpiresAt = time.Now().Add(2 * time.Minute)
	if err := st.SetToken(context.Background(), "acme", id, d.Token); err != nil {
		t.Fatal(err)
	}
	st.Close()
	linkedIn.Reset()

	var wg sync.WaitGroup
	failures := make(chan string, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, env := replicas[i%len(replicas)].execute(builderKey, id, "getUserInfo", nil); status != 200 {
				failures <- fmt.Sprintf("%d %v", status, env["error"])
			}
		}()
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	refreshes := 0
	for _, r := range linkedIn.Requests() {
		if r.Path == "/oauth/v2/accessToken" && strings.Contains(r.Body, "grant_type=refresh_token") {
			refreshes++
		}
	}
	if refreshes != 1 {
		t.Fatalf("%d refresh requests from %d replicas, want 1", refreshes, len(replicas))
	}
}
