package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/internal/executor"
	"pluginserver/internal/metrics"
	"pluginserver/internal/metrics/metricstest"
	"pluginserver/internal/share"
	"pluginserver/internal/workers"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// oneDatasource is a store that holds one datasource, and counts the
// requests that looked it up.
type oneDatasource struct {
	Store
	looked atomic.Int64
}

func (s *oneDatasource) Datasource(ctx context.Context, workspace, id string) (*ps.Datasource, error) {
	s.looked.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &ps.Datasource{ID: id, Workspace: workspace, Plugin: "linkedin"}, nil
}

// slowLinkedIn is an executor whose calls LinkedIn answers only once
// answering is set; until then a call ends only with its caller, as the
// proxy says of a call its caller gave up.
type slowLinkedIn struct {
	versionOnly
	answering atomic.Bool
	started   chan string
}

func (e *slowLinkedIn) Execute(ctx context.Context, ds *ps.Datasource, req executor.Request) (*plugin.Envelope, error) {
	env := &plugin.Envelope{Headers: map[string]string{}, Meta: plugin.Meta{Command: req.Command, RequestID: req.RequestID}}
	if e.answering.Load() {
		env.Status, env.Output = 200, json.RawMessage(`{"sub":"782bbtaQ"}`)
		return env, nil
	}
	e.started <- req.RequestID
	<-ctx.Done()
	env.Error = &plugin.Error{Code: plugin.UpstreamUnavailable, Message: "the call was cancelled", MaybeSent: true}
	return env, nil
}

// lockedBuffer is a log that a test reads while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// requests are the request lines logged so far, by request id.
func (l *lockedBuffer) requests(t *testing.T) (map[string]map[string]any, []map[string]any) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	byID := map[string]map[string]any{}
	var all []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		all = append(all, m)
		if m["message"] == "request" {
			byID[m["requestId"].(string)] = m
		}
	}
	return byID, all
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// TestCallersWhoHangUp: a caller who hangs up mid-call, while waiting for
// a worker, or while waiting for its workspace's share of executes, is
// logged with status 499 and outcome caller_gone, counted so in the
// metrics and never as a failure; a body that does not arrive in time is
// still ours to answer (400), a body cut off by a hang-up is not.
func TestCallersWhoHangUp(t *testing.T) {
	c, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	store := &oneDatasource{}
	linkedIn := &slowLinkedIn{started: make(chan string, 16)}
	var log lockedBuffer
	s := &Server{Store: store, Catalog: c, Executor: linkedIn, Anonymous: true, Log: zerolog.New(&log),
		Metrics: metrics.New(metrics.Options{Commands: []string{"getUserInfo"}}),
		// One worker, and four executes of the workspace at once: one
		// runs, three wait for the worker, the rest for their share.
		Workers: workers.New(1), Executes: share.New(4, 1), CallTimeout: 30 * time.Second,
		BodyTimeout: 300 * time.Millisecond}
	defer s.Workers.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	execute := func(ctx context.Context, id string) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/datasources/ds1/execute", strings.NewReader(`{"command":"getUserInfo"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", id)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	var wg sync.WaitGroup
	ids := []string{"mid-call"}
	call := func(id string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, err := execute(ctx, id); err == nil {
				t.Errorf("%s was answered %d before hanging up", id, status)
			}
		}()
	}
	call("mid-call")
	if got := <-linkedIn.started; got != "mid-call" {
		t.Fatalf("%s started", got)
	}
	for i := range 6 {
		id := fmt.Sprintf("waiting-%d", i)
		ids = append(ids, id)
		call(id)
	}
	eventually(t, "every caller in the server", func() bool { return store.looked.Load() == 7 })
	eventually(t, "three callers waiting for the worker", func() bool { return s.Executes.Held("workspace:default") == 4 })
	hangUp()
	wg.Wait()
	var lines map[string]map[string]any
	eventually(t, "a request line for every caller", func() bool {
		lines, _ = log.requests(t)
		return len(lines) == len(ids)
	})
	for _, id := range ids {
		if m := lines[id]; m["status"] != 499.0 || m["outcome"] != "caller_gone" || m["command"] != "" && m["command"] != "getUserInfo" {
			t.Errorf("%s is logged as %v", id, m)
		}
	}

	// The body that did not come in time is answered, as ours; the body
	// whose caller hung up half way is nobody's.
	host := strings.TrimPrefix(srv.URL, "http://")
	head := func(id string) string {
		return "POST /v1/datasources/ds1/execute HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nX-Request-Id: " + id + "\r\nContent-Length: 25\r\n\r\n{\"command\""
	}
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(conn, head("slow-body"))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("a body that did not come in time: %v %v", resp, err)
	}
	conn.Close()
	conn, err = net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(conn, head("cut-body"))
	eventually(t, "the cut body's request in the server", func() bool { return store.looked.Load() == 9 })
	conn.Close()
	eventually(t, "the body lines", func() bool {
		lines, _ = log.requests(t)
		return lines["slow-body"] != nil && lines["cut-body"] != nil
	})
	if m := lines["slow-body"]; m["status"] != 400.0 || m["outcome"] != "invalid_input" {
		t.Errorf("a body that did not come in time is logged as %v", m)
	}
	if m := lines["cut-body"]; m["status"] != 499.0 || m["outcome"] != "caller_gone" {
		t.Errorf("a body cut off by a hang-up is logged as %v", m)
	}

	// LinkedIn answers again: the next call works.
	linkedIn.answering.Store(true)
	if status, err := execute(context.Background(), "next"); err != nil || status != 200 {
		t.Fatalf("the next call: %d %v", status, err)
	}
	_, all := log.requests(t)
	for _, m := range all {
		if m["level"] != "info" {
			t.Errorf("a hang-up logged as a problem: %v", m)
		}
	}

	w := httptest.NewRecorder()
	s.Metrics.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	samples := metricstest.Parse(w.Body.String())
	for _, want := range []struct {
		name   string
		value  float64
		labels []string
	}{
		{"plugin_server_http_requests_total", 8, []string{"route", "/v1/datasources/{id}/execute", "method", "POST", "code", "499"}},
		{"plugin_server_http_requests_total", 1, []string{"route", "/v1/datasources/{id}/execute", "method", "POST", "code", "400"}},
		{"plugin_server_http_requests_total", 1, []string{"route", "/v1/datasources/{id}/execute", "method", "POST", "code", "200"}},
		{"plugin_server_executes_total", 1, []string{"command", "getUserInfo", "outcome", "ok"}},
	} {
		if got, ok := metricstest.Find(samples, want.name, want.labels...); !ok || got != want.value {
			t.Errorf("%s%v = %v (found %v), want %v", want.name, want.labels, got, ok, want.value)
		}
	}
	var gone float64
	for _, sample := range samples {
		if sample.Name != "plugin_server_executes_total" {
			continue
		}
		switch sample.Labels["outcome"] {
		case "caller_gone":
			gone += sample.Value
		case "ok", "invalid_input":
		default:
			t.Errorf("a hang-up counted as %v", sample.Labels)
		}
	}
	if gone != 8 {
		t.Errorf("%v executes counted caller_gone, want 8", gone)
	}
}
