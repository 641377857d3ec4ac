package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"pluginserver/internal/testclock"
	"strings"
	"sync"
	"testing"
	"time"

	"pluginserver/internal/app"
	"pluginserver/internal/quota"
	"pluginserver/plugin/linkedin/sandbox"
)

// fault answers one request instead of LinkedIn.
type fault func(w http.ResponseWriter, r *http.Request)

// faultyLinkedIn is the emulator behind a layer that injects faults: each
// planned fault answers the next API request to its path, then LinkedIn
// answers as usual.
type faultyLinkedIn struct {
	srv      *httptest.Server
	linkedIn *sandbox.Sandbox
	mu       sync.Mutex
	plan     map[string][]fault
	hits     map[string]int
	// cancelled hears when a hanging request's caller went away.
	cancelled chan struct{}
	// posts counts, per text, the posts LinkedIn received.
	posts map[string]int
	// rejectSuffix, when set, refuses video parts whose path ends so.
	rejectSuffix string
}

func newFaultyLinkedIn(t *testing.T) *faultyLinkedIn {
	f := &faultyLinkedIn{plan: map[string][]fault{}, hits: map[string]int{}, cancelled: make(chan struct{}, 10), posts: map[string]int{}}
	f.srv = httptest.NewUnstartedServer(f)
	f.linkedIn = sandbox.New(sandbox.Options{BaseURL: "http://" + f.srv.Listener.Addr().String()})
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *faultyLinkedIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == "POST" && r.URL.Path == "/v2/ugcPosts" {
		raw, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(raw)))
		var p struct {
			SpecificContent map[string]struct {
				ShareCommentary struct{ Text string } `json:"shareCommentary"`
			} `json:"specificContent"`
		}
		json.Unmarshal(raw, &p)
		f.mu.Lock()
		f.posts[p.SpecificContent["com.linkedin.ugc.ShareContent"].ShareCommentary.Text]++
		f.mu.Unlock()
	}
	f.mu.Lock()
	f.hits[r.URL.Path]++
	var next fault
	if q := f.plan[r.URL.Path]; len(q) > 0 {
		next, f.plan[r.URL.Path] = q[0], q[1:]
	}
	f.mu.Unlock()
	if next == nil && f.rejectSuffix != "" && strings.Contains(r.URL.Path, "/mediaUpload/video/") && strings.HasSuffix(r.URL.Path, f.rejectSuffix) {
		next = answer(400)
	}
	if next != nil {
		next(w, r)
		return
	}
	f.linkedIn.ServeHTTP(w, r)
}

func (f *faultyLinkedIn) inject(path string, faults ...fault) {
	f.mu.Lock()
	f.plan[path] = append(f.plan[path], faults...)
	f.hits = map[string]int{}
	f.mu.Unlock()
}

func (f *faultyLinkedIn) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func answer(code int, header ...string) fault {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"status":%d,"message":"injected"}`, code)
	}
}

func body(code int, contentType, text string) fault {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		io.WriteString(w, text)
	}
}

func (f *faultyLinkedIn) hang(w http.ResponseWriter, r *http.Request) {
	// Reading the body lets the server notice when the caller hangs up.
	io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
		f.cancelled <- struct{}{}
	case <-time.After(20 * time.Second):
	}
}

func slowBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	for range 100 {
		if _, err := io.WriteString(w, " "); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// reset reads the request, then drops the connection without a word.
func reset(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

// huge streams 100 MB without holding it.
func huge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	chunk := []byte(strings.Repeat(" ", 64<<10))
	w.Write([]byte(`{"sub":"`))
	for range 100 << 20 / len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) Sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return nil
}

func (s *sleeps) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.waits
	s.waits = nil
	return w
}

// TestFaults drives each fault rule through the whole server.
func TestFaults(t *testing.T) {
	f := newFaultyLinkedIn(t)
	clk := testclock.New(time.Now())
	slept := &sleeps{}
	h := startHarness(t, withEnv(sandbox.Env(f.srv.URL), map[string]string{
		"PLUGIN_SERVER_CALL_TIMEOUT": "3s", "PLUGIN_SERVER_RATE_LIMIT": "0",
	}), app.Options{Now: clk.Now, Sleep: slept.Sleep})
	id := h.authorizedDatasource()

	read := `{"command":"getUserInfo"}`
	write := func(text string) string {
		return `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"` + text + `","visibility":"PUBLIC"}}`
	}
	code := func(env map[string]any) string {
		e, _ := env["error"].(map[string]any)
		c, _ := e["code"].(string)
		return c
	}
	run := func(body string) (int, map[string]any) {
		return h.do("POST", "/v1/datasources/"+id+"/execute", builder, body)
	}
	// settle lets an open circuit cool down and closes it with a success.
	settle := func(t *testing.T) {
		clk.Advance(time.Minute)
		if status, env := run(read); status != 200 {
			t.Fatalf("LinkedIn did not come back: %d %v", status, env["error"])
		}
		slept.take()
	}

	t.Run("a read is retried after 5xx until it works", func(t *testing.T) {
		f.inject("/v2/userinfo", answer(503), answer(502))
		status, env := run(read)
		waits := slept.take()
		if status != 200 || f.count("/v2/userinfo") != 3 || len(waits) != 2 || waits[1] <= waits[0]/2 {
			t.Fatalf("%d %v; %d calls, waits %v", status, env["error"], f.count("/v2/userinfo"), waits)
		}
	})
	t.Run("retries are bounded", func(t *testing.T) {
		f.inject("/v2/userinfo", answer(503), answer(503), answer(503), answer(503))
		status, env := run(read)
		if status != 502 || code(env) != "upstream_unavailable" || f.count("/v2/userinfo") != 3 || env["status"] != 503.0 {
			t.Fatalf("%d %v; %d calls", status, env, f.count("/v2/userinfo"))
		}
		slept.take()
	})
	t.Run("a read is retried after a reset", func(t *testing.T) {
		f.inject("/v2/userinfo", reset)
		if status, env := run(read); status != 200 || f.count("/v2/userinfo") < 2 {
			t.Fatalf("%d %v; %d calls", status, env["error"], f.count("/v2/userinfo"))
		}
		slept.take()
	})
	t.Run("a write is never retried", func(t *testing.T) {
		slept.take()
		f.inject("/v2/ugcPosts", answer(503))
		if status, env := run(write("five oh three")); status != 502 || f.count("/v2/ugcPosts") != 1 {
			t.Fatalf("%d %v; %d calls", status, env["error"], f.count("/v2/ugcPosts"))
		}
		f.inject("/v2/ugcPosts", reset)
		status, _, first := h.executeWithKey(id, "reset-1", write("reset"))
		if status != 502 || f.count("/v2/ugcPosts") != 1 {
			t.Fatalf("%d %s; %d calls", status, first, f.count("/v2/ugcPosts"))
		}
		// LinkedIn may have posted it: the same key does not post again.
		status, header, again := h.executeWithKey(id, "reset-1", write("reset"))
		if again != first || header.Get("Idempotent-Replayed") != "true" || f.count("/v2/ugcPosts") != 1 {
			t.Fatalf("retry with the key: %d %s; %d calls", status, again, f.count("/v2/ugcPosts"))
		}
		if len(slept.take()) != 0 {
			t.Fatal("a write waited for a retry")
		}
	})
	t.Run("a LinkedIn that never answers times out", func(t *testing.T) {
		f.inject("/v2/ugcPosts", f.hang)
		status, env := run(write("hang"))
		if status != 504 || code(env) != "upstream_timeout" {
			t.Fatalf("%d %v", status, env)
		}
		<-f.cancelled
	})
	t.Run("a slow body times out", func(t *testing.T) {
		f.inject("/v2/ugcPosts", slowBody)
		if status, env := run(write("slow")); status != 504 || code(env) != "upstream_timeout" {
			t.Fatalf("%d %v", status, env)
		}
	})
	t.Run("a caller who goes away cancels the call", func(t *testing.T) {
		f.inject("/v2/ugcPosts", f.hang)
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", h.srv.URL+"/v1/datasources/"+id+"/execute", strings.NewReader(write("gone")))
		req.Header.Set("Authorization", "Bearer "+builder)
		go func() {
			for f.count("/v2/ugcPosts") == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		h.srv.Client().Do(req)
		<-f.cancelled
	})
	t.Run("429 with and without Retry-After", func(t *testing.T) {
		settle(t)
		f.inject("/v2/userinfo", answer(429, "Retry-After", "42"))
		req, _ := http.NewRequest("POST", h.srv.URL+"/v1/datasources/"+id+"/execute", strings.NewReader(read))
		req.Header.Set("Authorization", "Bearer "+builder)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "42" || f.count("/v2/userinfo") != 1 {
			t.Fatalf("%d Retry-After %q; %d calls", resp.StatusCode, resp.Header.Get("Retry-After"), f.count("/v2/userinfo"))
		}
		// LinkedIn asked for 42 s: the datasource's calls wait that long
		// without being sent.
		f.inject("/v2/userinfo")
		if status, env := run(read); status != 429 || code(env) != "rate_limited" || f.count("/v2/userinfo") != 0 {
			t.Fatalf("within LinkedIn's Retry-After: %d %v; %d calls", status, env["error"], f.count("/v2/userinfo"))
		}
		clk.Advance(42 * time.Second)
		f.inject("/v2/userinfo", answer(429))
		if status, env := run(read); status != 429 || code(env) != "rate_limited" || f.count("/v2/userinfo") != 1 {
			t.Fatalf("%d %v", status, env)
		}
		clk.Advance(quota.ShortPause)
	})
	t.Run("answers LinkedIn does not promise", func(t *testing.T) {
		for name, bad := range map[string]fault{
			"HTML page":      body(200, "text/html", "<html><body>Service Unavailable</body></html>"),
			"truncated JSON": body(200, "application/json", `{"sub":"782bb`),
			"empty 200":      body(200, "application/json", ""),
			"100 MB":         huge,
		} {
			f.inject("/v2/userinfo", bad)
			status, env := run(read)
			out, _ := env["output"].(string)
			if status != 502 || code(env) != "upstream_unavailable" || len(out) > 5<<10 {
				t.Errorf("%s: %d %v (output %d bytes)", name, status, env["error"], len(out))
			}
		}
	})
	t.Run("the circuit opens after repeated failures and closes after the cool-down", func(t *testing.T) {
		settle(t)
		for range 5 {
			f.inject("/v2/ugcPosts", answer(500))
			run(write(fmt.Sprint(time.Now().UnixNano())))
		}
		f.inject("/v2/ugcPosts")
		status, env := run(write("while open"))
		if status != 502 || code(env) != "upstream_unavailable" || f.count("/v2/ugcPosts") != 0 || !strings.Contains(fmt.Sprint(env["error"]), "paused") {
			t.Fatalf("%d %v; %d calls", status, env["error"], f.count("/v2/ugcPosts"))
		}
		clk.Advance(31 * time.Second)
		f.inject("/v2/ugcPosts")
		if status, env := run(write("after the pause")); status != 200 || env["status"] != 201.0 || f.count("/v2/ugcPosts") != 1 {
			t.Fatalf("after the cool-down: %d %v", status, env["error"])
		}
	})
}
