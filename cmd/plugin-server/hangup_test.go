package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pluginserver/internal/metrics/metricstest"
	"pluginserver/plugin/linkedin/sandbox"
)

// TestHangUpsAreNobodysFailure: fifty callers of a write hang up while
// LinkedIn is slow, some mid-call, some waiting their turn under the rate, most waiting
// for a worker, two of them twins of one Idempotency-Key. Each is logged
// with status 499 and outcome caller_gone, never 500 or 502; /metrics
// counts no LinkedIn failure, no execute error and no limit hit for them;
// the circuit stays closed, and the next call works.
func TestHangUpsAreNobodysFailure(t *testing.T) {
	// Twelve executes at once, six of a workspace (its share); the
	// first four calls go to LinkedIn at once, the next two wait their
	// turn under the rate, seconds away (well within the call's
	// deadline), and the rest wait for the workspace's share.
	const callers, burst = 50, 4
	var held atomic.Bool
	var arrived atomic.Int64
	_, fakeURL := fakeLinkedIn(t, func(linkedIn *sandbox.Sandbox) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if held.Load() && !strings.HasPrefix(r.URL.Path, "/oauth/") {
				// A slow LinkedIn: it answers no call until the
				// server gives up on it.
				// Read whole, so that the server hanging up ends
				// the request's context.
				io.Copy(io.Discard, r.Body)
				arrived.Add(1)
				<-r.Context().Done()
				return
			}
			linkedIn.ServeHTTP(w, r)
		})
	})
	var stderr syncBuffer
	s := startRun(t, with(sandbox.Env(fakeURL),
		"PLUGIN_SERVER_API_KEYS", adminKey+":admin:acme,"+builderKey+":builder:acme",
		"LOG_FORMAT", "json",
		"PLUGIN_SERVER_MAX_EXECUTES", "12", "PLUGIN_SERVER_WORKSPACE_SHARE", "0.5",
		"PLUGIN_SERVER_RATE_LIMIT", "0.5", "PLUGIN_SERVER_RATE_BURST", fmt.Sprint(burst),
		"PLUGIN_SERVER_CIRCUIT_THRESHOLD", "3"), &stderr)
	id := s.authorizedAs(adminKey, nil)
	// The lines of the setup are not the hang-ups'.
	stderr.mu.Lock()
	stderr.b.Reset()
	stderr.mu.Unlock()

	held.Store(true)
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	var written, done sync.WaitGroup
	for i := range callers {
		written.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			var once sync.Once
			trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(written.Done) }}
			// Writes, each a call of its own: identical reads in
			// flight would share one.
			text := fmt.Sprintf("hang-up %d", i)
			if i < 2 {
				text = "twins"
			}
			body := fmt.Sprintf(`{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","visibility":"PUBLIC","text":%q}}`, text)
			req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), "POST",
				s.url+"/v1/datasources/"+id+"/execute", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+builderKey)
			req.Header.Set("Content-Type", "application/json")
			if i < 2 {
				req.Header.Set("Idempotency-Key", "twins")
			}
			resp, err := client.Do(req)
			once.Do(written.Done)
			if err == nil {
				resp.Body.Close()
				t.Errorf("caller %d was answered %d before hanging up", i, resp.StatusCode)
			}
		}()
	}
	// Every request is on the wire, and LinkedIn holds the burst's calls.
	allWritten := make(chan struct{})
	go func() { written.Wait(); close(allWritten) }()
	select {
	case <-allWritten:
	case <-time.After(20 * time.Second):
		t.Fatal("the callers' requests were not all sent")
	}
	waitFor(t, "the burst's calls to reach LinkedIn", func() bool { return arrived.Load() >= burst })
	hangUp()
	done.Wait()

	var lines []map[string]any
	waitFor(t, "a request line for every caller", func() bool {
		lines = executeLines(t, &stderr)
		return len(lines) >= callers
	})
	for _, m := range lines {
		if m["status"] != 499.0 || m["outcome"] != "caller_gone" {
			t.Errorf("a caller who hung up is logged as %v %v", m["status"], m["outcome"])
		}
	}
	if len(lines) != callers {
		t.Errorf("%d request lines for %d callers", len(lines), callers)
	}
	for _, m := range stderr.lines(t) {
		if m["level"] == "error" || m["level"] == "warn" {
			t.Errorf("a hang-up logged as a problem: %v", m)
		}
	}

	_, samples := s.scrape()
	var gone float64
	for _, sample := range samples {
		switch sample.Name {
		case "plugin_server_http_requests_total":
			if sample.Labels["route"] == "/v1/datasources/{id}/execute" && sample.Labels["code"] != "499" {
				t.Errorf("hang-ups counted as %v: %v", sample.Labels, sample.Value)
			}
		case "plugin_server_executes_total":
			// Those who hung up before their command was read
			// count as command "unknown".
			gone += sample.Value
			if sample.Labels["outcome"] != "caller_gone" {
				t.Errorf("hang-ups counted as executes %v: %v", sample.Labels, sample.Value)
			}
		case "plugin_server_linkedin_calls_total":
			if sample.Labels["class"] != "caller_gone" {
				t.Errorf("hang-ups counted as LinkedIn's calls %v: %v", sample.Labels, sample.Value)
			}
		case "plugin_server_limit_hits_total":
			if sample.Value != 0 {
				t.Errorf("hang-ups counted as limits hit %v: %v", sample.Labels, sample.Value)
			}
		}
	}
	if gone != callers {
		t.Errorf("%v executes counted caller_gone, want %d", gone, callers)
	}
	want := []struct {
		name   string
		value  float64
		labels []string
	}{
		{"plugin_server_http_requests_total", callers, []string{"route", "/v1/datasources/{id}/execute", "method", "POST", "code", "499"}},
		{"plugin_server_circuits_open", 0, nil},
		{"plugin_server_linkedin_outage", 0, nil},
	}
	for _, w := range want {
		if got, ok := metricstest.Find(samples, w.name, w.labels...); !ok || got != w.value {
			t.Errorf("%s%v = %v (found %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
	if got, _ := metricstest.Find(samples, "plugin_server_linkedin_calls_total", "command", "createPost", "class", "caller_gone", "status", "caller_gone"); got < burst {
		t.Errorf("%v calls given up counted as caller_gone, want the %d LinkedIn held at least", got, burst)
	}

	// LinkedIn answers again: the datasource was never paused.
	held.Store(false)
	if !s.works(id) {
		t.Fatal("after the hang-ups the next call fails")
	}
}

// executeLines are the request lines of executes logged so far.
func executeLines(t *testing.T, stderr *syncBuffer) []map[string]any {
	var out []map[string]any
	for _, m := range stderr.lines(t) {
		if m["message"] == "request" && m["route"] == "/v1/datasources/{id}/execute" {
			out = append(out, m)
		}
	}
	return out
}

// waitFor polls until ok, failing the test after 20 seconds.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for %s", what)
		}
	}
}
