package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pluginserver/internal/store/postgres"
	"pluginserver/plugin/linkedin/sandbox"
)

// testPostgres is a DSN for a schema of this test's own on the machine's
// PostgreSQL, dropped when the test ends; the test is skipped, saying why,
// only when no PostgreSQL answers.
func testPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PLUGIN_SERVER_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Skipf("no PostgreSQL at %s: %v", base, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err == nil {
			conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			conn.Close(context.Background())
		}
	})
	return base + "&search_path=" + schema
}

// TestPostgresReplicas: three server processes share one PostgreSQL and
// behave as one server: authorize on one and the callback on another, one
// refresh for 200 executes over all three, one post for an Idempotency-Key
// sent to two at once, and a change on one seen by the others.
func TestPostgresReplicas(t *testing.T) {
	dsn := testPostgres(t)
	linkedIn, fakeURL := fakeLinkedIn(t, nil)
	key := secretKey()
	// One public URL, the balancer's, as replicas have; the test delivers
	// each browser step to the replica it chooses.
	const public = "http://plugins.test"
	env := replicaEnv(fakeURL, key, "PLUGIN_SERVER_PUBLIC_URL", public)
	var replicas []*server
	for range 3 {
		r, _ := startProcessAt(t, env, dsn, freeAddr(t))
		replicas = append(replicas, r)
	}
	a, b, c := replicas[0], replicas[1], replicas[2]

	_, ds := a.call("POST", "/v1/datasources", adminKey, map[string]any{"plugin": "linkedin", "name": "Partner", "config": partnerApp()})
	id := ds["id"].(string)
	back := a.allowed(adminKey, id)
	onB, _ := url.Parse(b.url)
	back.Scheme, back.Host = onB.Scheme, onB.Host
	b.follow(back)
	// a read the datasource to authorize it: its copy goes when b's write
	// reaches it, as with any change.
	seenBy(t, replicas, id, "the callback on b", func(ds map[string]any) bool { return ds["authStatus"] == "authorized" })

	t.Run("one refresh for three replicas", func(t *testing.T) {
		st, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		refreshOnce(t, st, linkedIn, id, replicas...)
	})

	t.Run("one post for a key sent to two replicas", func(t *testing.T) {
		linkedIn.Reset()
		body := `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"Once, from two replicas","visibility":"PUBLIC"}}`
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, r := range []*server{a, c} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", r.url+"/v1/datasources/"+id+"/execute", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+builderKey)
				req.Header.Set("Idempotency-Key", "post-once-1")
				if resp, err := http.DefaultClient.Do(req); err == nil {
					statuses[i] = resp.StatusCode
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
		posts := 0
		for _, r := range linkedIn.Requests() {
			if r.Path == "/v2/ugcPosts" {
				posts++
			}
		}
		// The twin waits for the first's answer, or is told it runs.
		if posts != 1 || statuses[0] == 0 || statuses[1] == 0 {
			t.Fatalf("%d posts, answers %v; want 1 post", posts, statuses)
		}
	})

	t.Run("a change on one replica is seen by the others", func(t *testing.T) {
		// Each replica has read the datasource (and cached it) above.
		if status, _ := c.call("PATCH", "/v1/datasources/"+id, adminKey, map[string]any{"name": "Renamed on c"}); status != 200 {
			t.Fatalf("rename: %d", status)
		}
		seenBy(t, []*server{a, b}, id, "the rename on c", func(ds map[string]any) bool { return ds["name"] == "Renamed on c" })
		if status, _ := a.call("POST", "/v1/datasources/"+id+"/disconnect", adminKey, nil); status != 200 {
			t.Fatalf("disconnect: %d", status)
		}
		for _, r := range []*server{b, c} {
			deadline := time.Now().Add(5 * time.Second)
			for {
				status, env := r.execute(builderKey, id, "getUserInfo", nil)
				if status == 409 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s still executes after a disconnect on a: %d %v", r.url, status, env["error"])
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	})
}

// seenBy waits until each replica reads the datasource as check wants
// after a change made on another: the change reaches their caches in
// milliseconds, within 5 s on a loaded machine or the test fails.
func seenBy(t *testing.T, replicas []*server, id, change string, check func(ds map[string]any) bool) {
	t.Helper()
	for _, r := range replicas {
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, ds := r.call("GET", "/v1/datasources/"+id, builderKey, nil)
			if check(ds) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %s, %s still reads %v", change, r.url, ds)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// TestMigrateDB: a single-node install's SQLite file copied into
// PostgreSQL serves the same datasources, sealed tokens and all; a second
// copy into the now non-empty database is refused.
func TestMigrateDB(t *testing.T) {
	dsn := testPostgres(t)
	_, fakeURL := fakeLinkedIn(t, nil)
	key := secretKey()
	env := replicaEnv(fakeURL, key)
	file := filepath.Join(t.TempDir(), "single.db")

	single, cmd := startProcess(t, env, file)
	id := single.authorizedAs(adminKey, nil)
	_, before := single.call("GET", "/v1/datasources/"+id, adminKey, nil)
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()

	var out, errs bytes.Buffer
	getenv := func(k string) string { return "" }
	// The machine's PostgreSQL trusts any password; the one given must
	// not be shown.
	withPassword := strings.Replace(dsn, "postgres@", "postgres:s3cret-pw@", 1)
	if err := run(context.Background(), []string{"migrate-db", "--from", file, "--to", withPassword}, getenv, &out, &errs); err != nil {
		t.Fatalf("migrate-db: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "copied "+file) || !strings.Contains(out.String(), "1 datasources") || strings.Contains(out.String(), "s3cret-pw") {
		t.Fatalf("migrate-db said %q", out.String())
	}

	replica := startReplica(t, env, dsn)
	_, after := replica.call("GET", "/v1/datasources/"+id, adminKey, nil)
	for _, k := range []string{"name", "authStatus", "authorizedAs", "tokenExpiresAt", "scopes"} {
		if fmt.Sprint(after[k]) != fmt.Sprint(before[k]) {
			t.Errorf("%s: %v after the copy, %v before", k, after[k], before[k])
		}
	}
	// The token was copied sealed and opens with the same key: LinkedIn
	// (the same emulator) takes it.
	if status, env := replica.execute(builderKey, id, "getUserInfo", nil); status != 200 {
		t.Fatalf("getUserInfo on PostgreSQL: %d %v", status, env["error"])
	}

	// The key rotates on PostgreSQL as on a file; a replica still holding
	// the old key then refuses to start.
	keys := map[string]string{"PLUGIN_SERVER_SECRET_KEY": base64.StdEncoding.EncodeToString(key),
		"PLUGIN_SERVER_NEW_SECRET_KEY": base64.StdEncoding.EncodeToString(secretKey())}
	out.Reset()
	if err := run(context.Background(), []string{"rotate-key", "--db", withPassword}, func(k string) string { return keys[k] }, &out, &errs); err != nil || strings.Contains(out.String(), "s3cret-pw") {
		t.Fatalf("rotate-key: %v %q", err, out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := run(ctx, []string{"--addr", "127.0.0.1:0", "--db", withPassword}, func(k string) string { return keys[k] }, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "is not the key") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("a replica with the old key: %v", err)
	}

	err = run(context.Background(), []string{"migrate-db", "--from", file, "--to", dsn}, getenv, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "already holds data") {
		t.Fatalf("a second copy: %v", err)
	}
	err = run(context.Background(), []string{"migrate-db", "--from", filepath.Join(t.TempDir(), "missing.db"), "--to", dsn}, getenv, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "no such SQLite file") {
		t.Fatalf("a missing file: %v", err)
	}
}

// freeAddr is a loopback address no one listens on, for a process that
// must know its own before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// forwarder passes TCP connections to target until it is stopped, standing
// in for the network between a replica and its database.
type forwarder struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func forward(t *testing.T, addr, target string) *forwarder {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{ln: ln}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, in, out)
			f.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	t.Cleanup(f.stop)
	return f
}

// stop refuses new connections and breaks the open ones.
func (f *forwarder) stop() {
	f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
}

// TestDatabaseOutage: when the database goes away the replica stays up,
// /readyz fails, calls that need the database get internal with a request
// id, and all works again when it returns.
func TestDatabaseOutage(t *testing.T) {
	dsn := testPostgres(t)
	u, _ := url.Parse(dsn)
	target := u.Host
	proxyAddr := freeAddr(t)
	u.Host = proxyAddr
	fwd := forward(t, proxyAddr, target)
	_, fakeURL := fakeLinkedIn(t, nil)
	s := startReplica(t, replicaEnv(fakeURL, secretKey()), u.String())
	if status, _ := s.call("GET", "/readyz", "", nil); status != 200 {
		t.Fatalf("readyz before: %d", status)
	}

	fwd.stop()
	if status, body := s.call("GET", "/readyz", "", nil); status != 503 {
		t.Fatalf("readyz with the database away: %d %v", status, body)
	}
	status, body := s.call("POST", "/v1/datasources", adminKey, map[string]any{"plugin": "linkedin", "name": "During"})
	e, _ := body["error"].(map[string]any)
	meta, _ := body["meta"].(map[string]any)
	if status != 500 || e["code"] != "internal" || meta["requestId"] == "" || strings.Contains(fmt.Sprint(body), target) {
		t.Fatalf("a call during the outage: %d %v", status, body)
	}
	if status, _ := s.call("GET", "/healthz", "", nil); status != 200 {
		t.Fatalf("healthz during the outage: %d", status)
	}

	forward(t, proxyAddr, target)
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body = s.call("POST", "/v1/datasources", adminKey, map[string]any{"plugin": "linkedin", "name": "After"})
		if status == 201 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the database returned: %d %v", status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status, _ := s.call("GET", "/readyz", "", nil); status != 200 {
		t.Fatalf("readyz after: %d", status)
	}
}

// TestReplicasShareWhatLinkedInSaid: a daily limit one replica learns from
// LinkedIn's 429, and a circuit one replica opens after LinkedIn's 5xx, hold
// on the other replica too: it refuses before sending.
func TestReplicasShareWhatLinkedInSaid(t *testing.T) {
	dsn := testPostgres(t)
	// LinkedIn answers a path as set here, while set.
	type fixed struct {
		status int
		body   string
	}
	var answer sync.Map
	linkedIn, fakeURL := fakeLinkedIn(t, func(linkedIn *sandbox.Sandbox) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if a, ok := answer.Load(r.URL.Path); ok {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(a.(fixed).status)
				io.WriteString(w, a.(fixed).body)
				return
			}
			linkedIn.ServeHTTP(w, r)
		})
	})
	env := replicaEnv(fakeURL, secretKey())
	a, b := startReplica(t, env, dsn), startReplica(t, env, dsn)
	// refusedUnsentOnB waits until replica b refuses the datasource's call
	// with code, LinkedIn receiving nothing.
	refusedUnsentOnB := func(id, code string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			linkedIn.Reset()
			status, env := b.execute(builderKey, id, "getUserInfo", nil)
			e, _ := env["error"].(map[string]any)
			if e != nil && e["code"] == code && len(linkedIn.Requests()) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica b: %d %v; LinkedIn got %d requests", status, e, len(linkedIn.Requests()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	t.Run("a daily limit", func(t *testing.T) {
		id := a.authorizedAs(adminKey, nil)
		answer.Store("/v2/userinfo", fixed{429, `{"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION_AND_MEMBER DAY limit for calls to this resource is reached."}`})
		if status, _ := a.execute(builderKey, id, "getUserInfo", nil); status != 429 {
			t.Fatalf("replica a: %d", status)
		}
		answer.Delete("/v2/userinfo")
		refusedUnsentOnB(id, "rate_limited")
	})
	t.Run("a circuit", func(t *testing.T) {
		// Another app, so the member's daily limit above does not hold.
		id := a.authorizedAs(adminKey, partnerApp())
		answer.Store("/v2/userinfo", fixed{500, `{"status":500,"message":"Internal Server Error"}`})
		for range 6 {
			a.execute(builderKey, id, "getUserInfo", nil)
		}
		answer.Delete("/v2/userinfo")
		refusedUnsentOnB(id, "upstream_unavailable")
	})
}

// TestDBPasswordNeverShown: whichever form of PostgreSQL DSN pgx accepts
// carries the password, the server starts on it and neither its startup
// line nor anything else it prints shows the password. The machine's
// PostgreSQL trusts any password.
func TestDBPasswordNeverShown(t *testing.T) {
	dsn := testPostgres(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	const password = "s3cret-pw-in-dsn"
	q := u.Query()
	keywordValue := fmt.Sprintf("host=%s port=%s user=postgres dbname=%s sslmode=disable search_path=%s password='%s'",
		u.Hostname(), u.Port(), strings.TrimPrefix(u.Path, "/"), q.Get("search_path"), password)
	q.Set("password", password)
	inQuery := *u
	inQuery.RawQuery = q.Encode()
	forms := map[string]string{
		"user:pass@":     strings.Replace(dsn, "postgres@", "postgres:"+password+"@", 1),
		"query password": inQuery.String(),
		"keyword/value":  keywordValue,
	}
	key := base64.StdEncoding.EncodeToString(secretKey()) // one database, one key
	for name, db := range forms {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"PLUGIN_SERVER_DB": db, "PLUGIN_SERVER_SANDBOX": "1", "PLUGIN_SERVER_ADDR": "127.0.0.1:0",
				"PLUGIN_SERVER_SECRET_KEY": key}
			stdout, stderr := &syncBuffer{}, &syncBuffer{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, stdout, stderr) }()
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(stdout.String(), "listening on") {
				select {
				case err := <-done:
					t.Fatalf("the server stopped: %v\n%s", err, stderr.String())
				case <-time.After(20 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatalf("not listening after 30 s:\n%s", stderr.String())
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run: %v", err)
			}
			all := stdout.String() + stderr.String()
			if strings.Contains(all, password) {
				t.Fatalf("the password shows:\n%s", all)
			}
			if !strings.Contains(stderr.String(), `"db":"`) {
				t.Fatalf("no db in the startup line:\n%s", stderr.String())
			}
		})
	}
}
