package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pluginserver/internal/metrics/metricstest"
	"pluginserver/plugin/linkedin/sandbox"
)

// scrape reads a server's /metrics and checks it is Prometheus's text
// format.
func (s *server) scrape() (string, []metricstest.Sample) {
	s.t.Helper()
	resp, err := s.client.Get(s.url + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("/metrics: %d %s", resp.StatusCode, raw)
	}
	samples := metricstest.Parse(string(raw))
	for _, sample := range samples {
		if sample.Name == "" {
			s.t.Fatalf("/metrics is not Prometheus's text format:\n%s", raw)
		}
	}
	return string(raw), samples
}

// TestMetricsOfAServerProcess scrapes a server process after a few
// executes: every series is there with its labels, and no workspace name,
// datasource id, key or secret appears unless workspaces are asked for
// (then the workspace, still no id). Started again on the same database,
// the server counts the datasources by auth status.
func TestMetricsOfAServerProcess(t *testing.T) {
	_, fakeURL := fakeLinkedIn(t, nil)
	key := secretKey()

	for _, workspaces := range []bool{false, true} {
		name := "by default"
		var more []string
		if workspaces {
			name, more = "with PLUGIN_SERVER_METRICS_WORKSPACES", []string{"PLUGIN_SERVER_METRICS_WORKSPACES", "true"}
		}
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "metrics.db")
			env := replicaEnv(fakeURL, key, more...)
			s, cmd := startProcess(t, env, db)
			id := s.authorizedDatasource()
			_, bare := s.call("POST", "/v1/datasources", adminKey, map[string]any{"plugin": "linkedin", "name": "Bare"})
			for range 2 {
				if status, env := s.execute(builderKey, id, "getUserInfo", nil); status != 200 {
					t.Fatalf("getUserInfo: %d %v", status, env["error"])
				}
			}
			s.execute(builderKey, id, "createPost", map[string]any{"author": "person:782bbtaQ", "lifecycleState": "PUBLISHED", "text": "", "visibility": "PUBLIC"})
			s.execute(builderKey, id, "noSuchCommand", nil)

			raw, samples := s.scrape()
			ws := func(labels ...string) []string {
				if workspaces {
					return append(labels, "workspace", "acme")
				}
				return labels
			}
			for _, want := range []struct {
				name   string
				value  float64
				labels []string
			}{
				{"plugin_server_http_requests_total", 2, ws("route", "/v1/datasources/{id}/execute", "method", "POST", "code", "200")},
				{"plugin_server_http_requests_total", 1, ws("route", "/v1/datasources/{id}/execute", "method", "POST", "code", "400")},
				{"plugin_server_http_request_duration_seconds_count", 2, []string{"route", "/v1/datasources/{id}/execute", "method", "POST", "code", "200"}},
				{"plugin_server_executes_total", 2, ws("command", "getUserInfo", "outcome", "ok")},
				{"plugin_server_executes_total", 1, ws("command", "createPost", "outcome", "invalid_input")},
				{"plugin_server_executes_total", 1, ws("command", "unknown", "outcome", "not_found")},
				{"plugin_server_execute_duration_seconds_count", 2, []string{"command", "getUserInfo"}},
				{"plugin_server_linkedin_calls_total", 2, []string{"command", "getUserInfo", "class", "2xx", "status", "200"}},
				{"plugin_server_linkedin_call_duration_seconds_count", 2, []string{"command", "getUserInfo", "class", "2xx"}},
				{"plugin_server_token_refreshes_total", 0, []string{"outcome", "ok"}},
				{"plugin_server_limit_hits_total", 0, []string{"scope", "member"}},
				{"plugin_server_circuits_open", 0, nil},
				{"plugin_server_linkedin_outage", 0, nil},
			} {
				if got, ok := metricstest.Find(samples, want.name, want.labels...); !ok || got != want.value {
					t.Errorf("%s%v = %v (found %v), want %v", want.name, want.labels, got, ok, want.value)
				}
			}
			for _, runtime := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
				if _, ok := metricstest.Find(samples, runtime); !ok {
					t.Errorf("no %s", runtime)
				}
			}
			for _, secret := range []string{id, bare["id"].(string), adminKey, builderKey, sandbox.ClientSecret, "Bearer"} {
				if strings.Contains(raw, secret) {
					t.Errorf("/metrics shows %q", secret)
				}
			}
			if strings.Contains(raw, "acme") != workspaces {
				t.Errorf("/metrics names workspace acme: %v, want %v", strings.Contains(raw, "acme"), workspaces)
			}
			if workspaces {
				return
			}

			// Counted as the server starts, and each minute after.
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			again, _ := startProcess(t, env, db)
			counted := func() bool {
				_, samples := again.scrape()
				_, ok := metricstest.Find(samples, "plugin_server_datasources", "auth_status", "authorized")
				return ok
			}
			for deadline := time.Now().Add(5 * time.Second); !counted() && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			_, samples = again.scrape()
			for status, want := range map[string]float64{"authorized": 1, "unauthorized": 1, "expiring": 0, "expired": 0, "error": 0} {
				if got, ok := metricstest.Find(samples, "plugin_server_datasources", "auth_status", status); !ok || got != want {
					t.Errorf("datasources %s = %v (found %v), want %v", status, got, ok, want)
				}
			}
		})
	}
}

// TestHealthcheck: plugin-server healthcheck exits 0 while a server is
// ready at PLUGIN_SERVER_ADDR (0.0.0.0 asked on loopback), and fails once
// it stopped.
func TestHealthcheck(t *testing.T) {
	s := startServer(t, nil)
	port := s.url[strings.LastIndex(s.url, ":")+1:]
	check := func(addr string) error {
		env := map[string]string{"PLUGIN_SERVER_ADDR": addr}
		return run(context.Background(), []string{"healthcheck"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	}
	for _, addr := range []string{"127.0.0.1:" + port, "0.0.0.0:" + port, ":" + port} {
		if err := check(addr); err != nil {
			t.Fatalf("healthcheck %s of a running server: %v", addr, err)
		}
	}
	s.stop()
	if err := check("127.0.0.1:" + port); err == nil {
		t.Fatal("healthcheck of a stopped server succeeded")
	}
	if err := check("not an address"); err == nil || !strings.Contains(err.Error(), "PLUGIN_SERVER_ADDR") {
		t.Fatalf("healthcheck with a bad address: %v", err)
	}
}

// TestHealthcheckOfAServerNotReady: /readyz answering 503 (the store is
// unreachable) fails the health check.
func TestHealthcheckOfAServerNotReady(t *testing.T) {
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			t.Errorf("healthcheck asked %s", r.URL.Path)
		}
		http.Error(w, `{"status":"store unreachable"}`, http.StatusServiceUnavailable)
	}))
	defer notReady.Close()
	env := map[string]string{"PLUGIN_SERVER_ADDR": strings.TrimPrefix(notReady.URL, "http://")}
	err := run(context.Background(), []string{"healthcheck"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("healthcheck of a server answering 503: %v", err)
	}
}
