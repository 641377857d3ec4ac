package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"pluginserver/internal/app"
	"pluginserver/internal/proxy"
)

// slowLinkedIn delays the server's calls to LinkedIn paths by a time set
// per path, so calls made at once are still in flight together.
type slowLinkedIn struct {
	next   http.RoundTripper
	mu     sync.Mutex
	delays map[string]time.Duration
}

func (s *slowLinkedIn) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	var d time.Duration
	for path, delay := range s.delays {
		if strings.HasSuffix(r.URL.Path, path) {
			d = delay
		}
	}
	s.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return s.next.RoundTrip(r)
}

func (s *slowLinkedIn) slow(path string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays[path] = d
}

func slowHarness(t *testing.T) (*harness, *slowLinkedIn) {
	client := proxy.NewClient(5 * time.Second)
	slow := &slowLinkedIn{next: client.Transport, delays: map[string]time.Duration{}}
	client.Transport = slow
	return startHarness(t, nil, app.Options{HTTPClient: client}, "--sandbox"), slow
}

// executeWith runs an execute body with request headers (name, value…)
// under ctx.
func (h *harness) executeWith(ctx context.Context, id, body string, header ...string) (int, http.Header, map[string]any, error) {
	req, _ := http.NewRequestWithContext(ctx, "POST", h.srv.URL+"/v1/datasources/"+id+"/execute", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+builder)
	for i := 0; i < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		return resp.StatusCode, resp.Header, nil, err
	}
	return resp.StatusCode, resp.Header, env, nil
}

func meta(env map[string]any) map[string]any {
	m, _ := env["meta"].(map[string]any)
	return m
}

const readBody = `{"command":"getUserInfo"}`

// TestIdenticalReadsShareOneCall: a crowd of identical reads at once makes
// a few calls to LinkedIn, each caller getting the answer with its own
// request id; identical writes are each sent.
func TestIdenticalReadsShareOneCall(t *testing.T) {
	h, slow := slowHarness(t)
	id := h.authorizedDatasource()
	const post = `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"Same words","visibility":"PUBLIC"}}`
	tests := []struct {
		name, body, method, path string
		callers                  int
		// calls bounds LinkedIn's calls; coalesced is the fewest callers
		// whose answer says it was shared.
		minCalls, maxCalls, coalesced int
	}{
		{"identical reads", readBody, "GET", "/v2/userinfo", 100, 1, 5, 60},
		{"identical writes", post, "POST", "/v2/ugcPosts", 6, 6, 6, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slow.slow(tt.path, 300*time.Millisecond)
			defer slow.slow(tt.path, 0)
			h.app.Sandbox.Reset()
			var wg sync.WaitGroup
			var mu sync.Mutex
			coalesced, ids := 0, map[string]bool{}
			for range tt.callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					status, _, env, err := h.executeWith(context.Background(), id, tt.body)
					if err != nil {
						t.Error(err)
						return
					}
					if tt.method == "GET" && (status != 200 || env["output"].(map[string]any)["sub"] != "782bbtaQ") {
						t.Errorf("%d %v", status, env)
					}
					mu.Lock()
					defer mu.Unlock()
					if meta(env)["coalesced"] == true {
						coalesced++
					}
					ids[meta(env)["requestId"].(string)] = true
				}()
			}
			wg.Wait()
			calls := h.sent(tt.method, tt.path)
			t.Logf("%d callers: %d calls to LinkedIn, %d answers shared", tt.callers, calls, coalesced)
			if calls < tt.minCalls || calls > tt.maxCalls || coalesced < tt.coalesced || tt.coalesced == 0 && coalesced != 0 {
				t.Fatalf("%d calls (want %d to %d), %d coalesced (want at least %d)", calls, tt.minCalls, tt.maxCalls, coalesced, tt.coalesced)
			}
			if len(ids) != tt.callers {
				t.Fatalf("%d request ids for %d callers", len(ids), tt.callers)
			}
		})
	}
}

// TestACallerWhoHangsUpLeavesTheSharedCall: the first caller of a shared
// read hangs up; the call goes on, and the other caller gets its answer.
func TestACallerWhoHangsUpLeavesTheSharedCall(t *testing.T) {
	h, slow := slowHarness(t)
	id := h.authorizedDatasource()
	slow.slow("/v2/userinfo", time.Second)
	h.app.Sandbox.Reset()
	ctx, hangUp := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, _, _, err := h.executeWith(ctx, id, readBody)
		first <- err
	}()
	time.Sleep(200 * time.Millisecond)
	second := make(chan map[string]any, 1)
	go func() {
		status, _, env, err := h.executeWith(context.Background(), id, readBody)
		if err != nil || status != 200 {
			t.Errorf("%d %v %v", status, env, err)
		}
		second <- env
	}()
	time.Sleep(200 * time.Millisecond)
	hangUp()
	if err := <-first; err == nil {
		t.Fatal("the first caller got an answer after hanging up")
	}
	env := <-second
	if env["output"].(map[string]any)["sub"] != "782bbtaQ" || meta(env)["coalesced"] != true {
		t.Fatalf("the caller who stayed: %v", env)
	}
	if calls := h.sent("GET", "/v2/userinfo"); calls != 1 {
		t.Fatalf("%d calls to LinkedIn, want the one shared", calls)
	}
}

// TestTheReadCache: a datasource whose config keeps reads answers them
// from its cache with their Age, until no-cache, a write or a new
// authorization; another datasource never sees its answers.
func TestTheReadCache(t *testing.T) {
	h := newHarness(t)
	cached := func() string {
		_, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Cached","config":{"readCacheSeconds":60}}`)
		id, _ := ds["id"].(string)
		if id == "" {
			t.Fatalf("create: %v", ds)
		}
		h.authorize(id)
		return id
	}
	a, b := cached(), cached()
	post := `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"Cache buster","visibility":"PUBLIC"}}`
	steps := []struct {
		name, ds, body string
		header         []string
		reauthorize    bool
		hit, called    bool
	}{
		{name: "first read", ds: a, body: readBody, called: true},
		{name: "read again", ds: a, body: readBody, hit: true},
		{name: "another datasource", ds: b, body: readBody, called: true},
		{name: "no-cache", ds: a, body: readBody, header: []string{"Cache-Control", "no-cache"}, called: true},
		{name: "after no-cache", ds: a, body: readBody, hit: true},
		{name: "a write", ds: a, body: post, called: true},
		{name: "after the write", ds: a, body: readBody, called: true},
		{name: "the other's kept", ds: b, body: readBody, hit: true},
		{name: "after a new authorization", ds: b, body: readBody, reauthorize: true, called: true},
	}
	for _, s := range steps {
		if s.reauthorize {
			h.authorize(s.ds)
		}
		h.app.Sandbox.Reset()
		status, header, env, err := h.executeWith(context.Background(), s.ds, s.body, s.header...)
		if err != nil || status != 200 && s.body == readBody {
			t.Fatalf("%s: %d %v %v", s.name, status, env, err)
		}
		called := len(h.app.Sandbox.Requests()) > 0
		hit := meta(env)["cache"] == "hit"
		if hit != s.hit || called != s.called || hit != (header.Get("Age") != "") {
			t.Fatalf("%s: hit %v (Age %q), called LinkedIn %v; want hit %v, called %v: %v", s.name, hit, header.Get("Age"), called, s.hit, s.called, env)
		}
		if hit && (header.Get("Age") != "0" || env["output"].(map[string]any)["sub"] != "782bbtaQ" || meta(env)["requestId"] == "") {
			t.Fatalf("%s: a hit answered %v, Age %q", s.name, env, header.Get("Age"))
		}
	}
}
