package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pluginserver/internal/metrics"
	"pluginserver/internal/metrics/metricstest"
	"pluginserver/plugin"
)

func scrape(t *testing.T, m *metrics.Metrics) []metricstest.Sample {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	raw, _ := io.ReadAll(w.Body)
	samples := metricstest.Parse(string(raw))
	for _, s := range samples {
		if s.Name == "" {
			t.Fatalf("not Prometheus's text format:\n%s", raw)
		}
	}
	return samples
}

// TestLabelsStayBounded: whatever a caller sends, label values come from
// fixed sets; the workspace is a label only when asked for.
func TestLabelsStayBounded(t *testing.T) {
	for _, workspaces := range []bool{false, true} {
		m := metrics.New(metrics.Options{Workspaces: workspaces, Commands: []string{"getUserInfo", "options"}})
		m.Request("/v1/datasources/{id}", "BREW", 0, "acme", time.Millisecond)
		m.Request("", "GET", 404, "", time.Millisecond)
		m.Execute("getUserInfo", "ok", "acme", time.Millisecond)
		m.Execute("<script>", "invalid_input", "acme", time.Millisecond)
		m.Call("getUserInfo", 503, time.Second, nil)
		m.Call("options", 200, time.Second, nil)
		m.Call("someone's text", 0, time.Second, plugin.Errorf(plugin.UpstreamTimeout, "slow"))
		m.Call("getUserInfo", 0, time.Second, errors.New("the caller went away"))
		m.SetDatasources(map[string]int64{"authorized": 3, "bogus": 9})
		samples := scrape(t, m)
		ws := func(labels ...string) []string {
			if workspaces {
				return append(labels, "workspace", "acme")
			}
			return labels
		}
		noWS := func(labels ...string) []string {
			if workspaces {
				return append(labels, "workspace", "")
			}
			return labels
		}
		for _, want := range []struct {
			name   string
			labels []string
		}{
			{"plugin_server_http_requests_total", ws("route", "/v1/datasources/{id}", "method", "other", "code", "200")},
			{"plugin_server_http_requests_total", noWS("route", "unmatched", "method", "GET", "code", "404")},
			{"plugin_server_http_request_duration_seconds_count", []string{"route", "unmatched", "method", "GET", "code", "404"}},
			{"plugin_server_executes_total", ws("command", "getUserInfo", "outcome", "ok")},
			{"plugin_server_executes_total", ws("command", "unknown", "outcome", "invalid_input")},
			{"plugin_server_execute_duration_seconds_count", []string{"command", "unknown"}},
			{"plugin_server_linkedin_calls_total", []string{"command", "getUserInfo", "class", "5xx", "status", "503"}},
			{"plugin_server_linkedin_calls_total", []string{"command", "options", "class", "2xx", "status", "200"}},
			{"plugin_server_linkedin_calls_total", []string{"command", "other", "class", "error", "status", "timeout"}},
			{"plugin_server_linkedin_calls_total", []string{"command", "getUserInfo", "class", "error", "status", "error"}},
			{"plugin_server_linkedin_call_duration_seconds_count", []string{"command", "getUserInfo", "class", "error"}},
		} {
			if got, ok := metricstest.Find(samples, want.name, want.labels...); !ok || got != 1 {
				t.Errorf("workspaces %v: %s%v = %v (found %v), want 1", workspaces, want.name, want.labels, got, ok)
			}
		}
		if got, _ := metricstest.Find(samples, "plugin_server_datasources", "auth_status", "authorized"); got != 3 {
			t.Errorf("authorized datasources %v, want 3", got)
		}
		for _, s := range samples {
			for _, v := range s.Labels {
				if strings.Contains(v, "<script>") || strings.Contains(v, "someone") || v == "BREW" || v == "bogus" {
					t.Errorf("a caller's text became a label value: %s%v", s.Name, s.Labels)
				}
			}
		}
	}
}

// TestCallerGoneIsNotLinkedIns: a call abandoned because its caller hung
// up (an error that is context.Canceled) is counted apart, under class
// and status caller_gone, never as LinkedIn's failure; a request whose
// caller hung up is counted with 499 and its execute as caller_gone.
func TestCallerGoneIsNotLinkedIns(t *testing.T) {
	m := metrics.New(metrics.Options{Commands: []string{"getUserInfo"}})
	hungUp := fmt.Errorf("%w: %w", plugin.Errorf(plugin.UpstreamUnavailable, "the call was cancelled"), context.Canceled)
	m.Call("getUserInfo", 0, time.Second, hungUp)
	m.Call("getUserInfo", 0, time.Second, hungUp)
	m.Request("/v1/datasources/{id}/execute", "POST", metrics.StatusCallerGone, "", time.Second)
	m.Execute("getUserInfo", metrics.CallerGone, "", time.Second)
	samples := scrape(t, m)
	for _, want := range []struct {
		name   string
		labels []string
		value  float64
	}{
		{"plugin_server_linkedin_calls_total", []string{"command", "getUserInfo", "class", "caller_gone", "status", "caller_gone"}, 2},
		{"plugin_server_http_requests_total", []string{"route", "/v1/datasources/{id}/execute", "method", "POST", "code", "499"}, 1},
		{"plugin_server_executes_total", []string{"command", "getUserInfo", "outcome", "caller_gone"}, 1},
	} {
		if got, ok := metricstest.Find(samples, want.name, want.labels...); !ok || got != want.value {
			t.Errorf("%s%v = %v (found %v), want %v", want.name, want.labels, got, ok, want.value)
		}
	}
	for _, s := range samples {
		if s.Name == "plugin_server_linkedin_calls_total" && (s.Labels["class"] == "error" || s.Labels["status"] == "unavailable") {
			t.Errorf("a hang-up counted as LinkedIn's failure: %s%v", s.Name, s.Labels)
		}
	}
}

// A nil *Metrics records nothing and does not panic: handlers built
// without metrics (tests) call it all the same.
func TestNilMetrics(t *testing.T) {
	var m *metrics.Metrics
	m.Request("/", "GET", 200, "", 0)
	m.Execute("x", "ok", "", 0)
	m.Call("x", 200, 0, nil)
	m.Refresh("ok")
	m.LimitHit("app")
	m.SetDatasources(nil)
	m.WatchCircuits(func() (int, bool) { return 0, false })
}

// BenchmarkRequest is what every request pays: its series found in the
// map, one counter and one histogram updated.
func BenchmarkRequest(b *testing.B) {
	m := metrics.New(metrics.Options{Commands: []string{"getUserInfo"}})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Request("/v1/datasources/{id}/execute", "POST", 200, "acme", time.Millisecond)
			m.Execute("getUserInfo", "ok", "acme", time.Millisecond)
			m.Call("getUserInfo", 200, time.Millisecond, nil)
		}
	})
}
