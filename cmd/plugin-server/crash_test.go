package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pluginserver/plugin/linkedin/sandbox"
)

// acked is what the server acknowledged: it must all survive a crash.
type acked struct {
	mu         sync.Mutex
	created    map[string]bool
	authorized map[string]bool
	posts      map[string]string // Idempotency-Key -> the answer
	attempted  map[string]string // Idempotency-Key -> its request body
}

func randomInt(n int64) int64 {
	v, _ := rand.Int(rand.Reader, big.NewInt(n))
	return v.Int64()
}

func randomKey() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// load works the server from several goroutines until stop closes,
// recording only what the server acknowledged.
func load(s *server, a *acked, stop chan struct{}) {
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	do := func(method, path, key, idem string, body string) (int, http.Header, string) {
		req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, ""
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(raw)
	}
	pick := func(m map[string]bool) string {
		a.mu.Lock()
		defer a.mu.Unlock()
		for id := range m {
			return id
		}
		return ""
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				switch randomInt(4) {
				case 0:
					status, _, body := do("POST", "/v1/datasources", adminKey, "", `{"plugin":"linkedin","name":"crash","config":{"clientId":"`+sandbox.PartnerClientID+`","clientSecret":"`+sandbox.PartnerClientSecret+`"}}`)
					var ds struct{ ID string }
					if status == 201 && json.Unmarshal([]byte(body), &ds) == nil {
						a.mu.Lock()
						a.created[ds.ID] = true
						a.mu.Unlock()
					}
				case 1:
					id := pick(a.created)
					if id == "" {
						continue
					}
					status, _, body := do("POST", "/v1/datasources/"+id+"/authorize", adminKey, "", "")
					var auth struct{ AuthorizationURL string }
					if status != 200 || json.Unmarshal([]byte(body), &auth) != nil {
						continue
					}
					back, err := sandbox.Consent(http.DefaultTransport, auth.AuthorizationURL, true)
					if err != nil {
						continue
					}
					resp, err := client.Get(back.String())
					if err != nil {
						continue
					}
					page, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode == 200 && strings.Contains(string(page), "LinkedIn connected") {
						a.mu.Lock()
						a.authorized[id] = true
						a.mu.Unlock()
					}
				case 2:
					id := pick(a.authorized)
					if id == "" {
						continue
					}
					key := randomKey()
					body := `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"post ` + key + `","visibility":"PUBLIC"}}`
					a.mu.Lock()
					a.attempted[key] = id + " " + body
					a.mu.Unlock()
					status, _, answer := do("POST", "/v1/datasources/"+id+"/execute", builderKey, key, body)
					if status == 200 && strings.Contains(answer, `"status":201`) {
						a.mu.Lock()
						a.posts[key] = answer
						a.mu.Unlock()
					}
				case 3:
					if id := pick(a.authorized); id != "" {
						do("POST", "/v1/datasources/"+id+"/execute", builderKey, "", `{"command":"getUserInfo"}`)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestCrashLosesNothing kills a loaded server with SIGKILL at random
// moments; after each restart every acknowledged write is there, every
// authorized token works (refreshes were cut short too) and no post was
// ever sent twice.
func TestCrashLosesNothing(t *testing.T) {
	fake := httptest.NewUnstartedServer(nil)
	// Tokens that live 12 hours inside a 24-hour margin: every call
	// refreshes, so kills land in the middle of refreshes too.
	linkedIn := sandbox.New(sandbox.Options{BaseURL: "http://" + fake.Listener.Addr().String(), TokenLifetime: 12 * time.Hour, Record: 1 << 20})
	fake.Config.Handler = linkedIn
	fake.Start()
	defer fake.Close()
	key := make([]byte, 32)
	rand.Read(key)
	db := filepath.Join(t.TempDir(), "crash.db")
	env := replicaEnv(fake.URL, key,
		"PLUGIN_SERVER_REFRESH_MARGIN", "24h",
		// A request cut short by a kill holds its Idempotency-Key this long.
		"PLUGIN_SERVER_CALL_TIMEOUT", "2s")
	a := &acked{created: map[string]bool{}, authorized: map[string]bool{}, posts: map[string]string{}, attempted: map[string]string{}}
	const rounds = 5
	for round := range rounds {
		s, cmd := startProcess(t, env, db)
		s.verify(a)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { load(s, a, stop); close(done) }()
		time.Sleep(time.Duration(200+randomInt(1000)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		<-done
		t.Logf("round %d: %d datasources, %d authorized, %d posts acknowledged", round+1, len(a.created), len(a.authorized), len(a.posts))
	}
	s, _ := startProcess(t, env, db)
	s.verify(a)
	// Every post ever attempted, sent again with its key, is not posted
	// again: it is replayed, refused as interrupted, or (never sent) sent.
	var wg sync.WaitGroup
	for key, attempt := range a.attempted {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, body, _ := strings.Cut(attempt, " ")
			s.executeWithKey(id, key, body)
		}()
	}
	wg.Wait()
	if len(a.posts) == 0 || len(a.authorized) == 0 {
		t.Fatalf("the load acknowledged too little to prove anything: %d posts, %d authorized", len(a.posts), len(a.authorized))
	}
	sent := map[string]int{}
	for _, r := range linkedIn.Requests() {
		if r.Method == "POST" && r.Path == "/v2/ugcPosts" {
			var p struct {
				SpecificContent map[string]struct {
					ShareCommentary struct{ Text string } `json:"shareCommentary"`
				} `json:"specificContent"`
			}
			json.Unmarshal([]byte(r.Body), &p)
			sent[p.SpecificContent["com.linkedin.ugc.ShareContent"].ShareCommentary.Text]++
		}
	}
	for text, n := range sent {
		if n > 1 {
			t.Errorf("%q was sent to LinkedIn %d times", text, n)
		}
	}
}

// verify checks that everything acknowledged is there and works.
func (s *server) verify(a *acked) {
	s.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for id := range a.created {
		if status, ds := s.call("GET", "/v1/datasources/"+id, builderKey, nil); status != 200 {
			s.t.Fatalf("acknowledged datasource %s lost: %d %v", id, status, ds)
		}
	}
	for id := range a.authorized {
		status, env := s.execute(builderKey, id, "getUserInfo", nil)
		if status != 200 {
			s.t.Fatalf("authorized datasource %s has no usable token: %d %v", id, status, env["error"])
		}
	}
	for key, answer := range a.posts {
		id, body, _ := strings.Cut(a.attempted[key], " ")
		status, header, again := s.executeWithKey(id, key, body)
		if status != 200 || again != answer || header.Get("Idempotent-Replayed") != "true" {
			s.t.Fatalf("acknowledged post %s: %d %s, was %s", key, status, again, answer)
		}
	}
}

func (s *server) executeWithKey(id, key, body string) (int, http.Header, string) {
	req, _ := http.NewRequest("POST", s.url+"/v1/datasources/"+id+"/execute", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+builderKey)
	req.Header.Set("Idempotency-Key", key)
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}
