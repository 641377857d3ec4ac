package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pluginserver/internal/app"
	"pluginserver/internal/metrics/metricstest"
	"pluginserver/internal/testclock"
	"pluginserver/plugin/linkedin/sandbox"
)

// scrape reads /metrics as a loopback caller.
func (h *harness) scrape() []metricstest.Sample {
	h.t.Helper()
	resp, err := h.srv.Client().Get(h.srv.URL + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		h.t.Fatalf("/metrics: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	samples := metricstest.Parse(string(raw))
	for _, s := range samples {
		if s.Name == "" {
			h.t.Fatalf("/metrics has a line that is not Prometheus's text format:\n%s", raw)
		}
	}
	return samples
}

// TestMetricsOnlyForLoopback: /metrics needs no key, but is served only
// to callers on this machine, not to one a proxy forwarded, unless
// PLUGIN_SERVER_METRICS_PUBLIC.
func TestMetricsOnlyForLoopback(t *testing.T) {
	h := newHarness(t)
	h.scrape()
	forwarded := func(header string) int {
		req, _ := http.NewRequest("GET", h.srv.URL+"/metrics", nil)
		req.Header.Set(header, "203.0.113.9")
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, header := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip", "Via", "CF-Connecting-IP",
		"True-Client-IP", "X-Client-IP", "x-forwarded-host", "Fastly-Client-IP"} {
		if status := forwarded(header); status != http.StatusForbidden {
			t.Errorf("a request forwarded with %s: %d, want 403", header, status)
		}
	}
	remote := func(h *harness) (int, string) {
		w := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = "203.0.113.9:4321"
		h.app.Handler.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	if status, body := remote(h); status != http.StatusForbidden || !strings.Contains(body, "PLUGIN_SERVER_METRICS_PUBLIC") {
		t.Fatalf("a remote caller: %d %s", status, body)
	}
	public := startHarness(t, map[string]string{"PLUGIN_SERVER_METRICS_PUBLIC": "true"}, app.Options{}, "--sandbox")
	if status, body := remote(public); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("a remote caller with PLUGIN_SERVER_METRICS_PUBLIC: %d %.200s", status, body)
	}
}

// TestMetricsCountWhatHappens: a refresh, LinkedIn's answers by status, a
// limit refusing calls before sending, an open circuit, each shows.
func TestMetricsCountWhatHappens(t *testing.T) {
	f := newFaultyLinkedIn(t)
	clk := testclock.New(time.Now())
	slept := &sleeps{}
	h := startHarness(t, withEnv(sandbox.Env(f.srv.URL), map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "0"}),
		app.Options{Now: clk.Now, Sleep: slept.Sleep})
	id := h.partnerDatasource(`["openid","profile","email","w_member_social"]`)
	want := func(name string, value float64, labels ...string) {
		t.Helper()
		if got, ok := metricstest.Find(h.scrape(), name, labels...); !ok || got != value {
			t.Fatalf("%s%v = %v (found %v), want %v", name, labels, got, ok, value)
		}
	}
	h.call(id)
	want("plugin_server_linkedin_calls_total", 1, "command", "getUserInfo", "class", "2xx", "status", "200")
	want("plugin_server_executes_total", 1, "command", "getUserInfo", "outcome", "ok")

	// LinkedIn cuts the token short: a 401, a refresh, the read again.
	f.linkedIn.InvalidateAccessTokens()
	if status, _, env := h.call(id); status != 200 {
		t.Fatalf("after the refresh: %d %v", status, env["error"])
	}
	want("plugin_server_linkedin_calls_total", 1, "command", "getUserInfo", "class", "4xx", "status", "401")
	want("plugin_server_token_refreshes_total", 1, "outcome", "ok")

	// LinkedIn names the member's daily limit: the next call is refused
	// unsent.
	f.inject("/v2/userinfo", throttled(memberDayLimit))
	h.call(id)
	h.call(id)
	want("plugin_server_limit_hits_total", 1, "scope", "member")
	want("plugin_server_limit_hits_total", 0, "scope", "app")
	want("plugin_server_executes_total", 2, "command", "getUserInfo", "outcome", "rate_limited")
	want("plugin_server_linkedin_calls_total", 1, "command", "getUserInfo", "class", "4xx", "status", "429")

	// LinkedIn fails writes until the circuit opens.
	clk.Advance(25 * time.Hour)
	want("plugin_server_circuits_open", 0)
	for i := range 5 {
		f.inject("/v2/ugcPosts", answer(500))
		h.execute(id, "createPost", fmt.Sprintf(`{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"post %d","visibility":"PUBLIC"}`, i))
	}
	want("plugin_server_circuits_open", 1)
	want("plugin_server_linkedin_outage", 0)
	want("plugin_server_linkedin_calls_total", 5, "command", "createPost", "class", "5xx", "status", "500")
	want("plugin_server_executes_total", 5, "command", "createPost", "outcome", "upstream_unavailable")

	// The member removes the app: the refresh is refused.
	clk.Advance(time.Minute)
	f.linkedIn.RevokeAll()
	if status, _, env := h.call(id); status != 409 {
		t.Fatalf("after the member removed the app: %d %v", status, env["error"])
	}
	want("plugin_server_token_refreshes_total", 1, "outcome", "refused")
	want("plugin_server_circuits_open", 0)
}
