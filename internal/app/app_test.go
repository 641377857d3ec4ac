package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"pluginserver/internal/app"
	"pluginserver/internal/config"
	"pluginserver/internal/webhook"
	"pluginserver/plugin/linkedin/sandbox"
)

const (
	admin   = "admin-key-0123456789"
	builder = "builder-key-0123456789"
	other   = "other-key-0123456789"
)

// harness is the server wired as in production, in sandbox mode, with the
// emulator at hand to see what reached "LinkedIn".
type harness struct {
	t   testing.TB
	srv *httptest.Server
	app *app.App
	// logs holds everything the server logged, at debug level.
	logs *logBuffer
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return startHarness(t, nil, app.Options{}, "--sandbox")
}

// withEnv is base with more settings on top.
func withEnv(base, more map[string]string) map[string]string {
	for k, v := range more {
		base[k] = v
	}
	return base
}

// startHarness starts the server with more environment and options.
func startHarness(t testing.TB, extraEnv map[string]string, opts app.Options, args ...string) *harness {
	t.Helper()
	env := map[string]string{"PLUGIN_SERVER_API_KEYS": admin + ":admin:acme," + builder + ":builder:acme," + other + ":admin:other"}
	for k, v := range extraEnv {
		env[k] = v
	}
	args = append(args, "--db", filepath.Join(t.TempDir(), "test.db"))
	cfg, err := config.Parse(app.ConfigDefaults(), args, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.Resolve(srv.Listener.Addr().String())
	logs := &logBuffer{}
	a, err := app.New(context.Background(), cfg, zerolog.New(logs).Level(zerolog.DebugLevel), opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	a.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &harness{t: t, srv: srv, app: a, logs: logs}
}

func (h *harness) do(method, path, key, body string) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		h.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
	}
	return resp.StatusCode, out
}

// authorizedDatasource creates a datasource in workspace acme and
// authorizes it through the emulator.
func (h *harness) authorizedDatasource() string {
	h.t.Helper()
	return h.authorizedIn(admin)
}

// authorizedIn creates a datasource with an admin key of its workspace and
// authorizes it through the emulator.
func (h *harness) authorizedIn(key string) string {
	h.t.Helper()
	_, ds := h.do("POST", "/v1/datasources", key, `{"plugin":"linkedin","name":"Marketing"}`)
	id := ds["id"].(string)
	h.authorizeAs(key, id)
	return id
}

// authorize clicks Authorize and Allow for a datasource of acme.
func (h *harness) authorize(id string) map[string]any {
	h.t.Helper()
	return h.authorizeAs(admin, id)
}

// authorizeAs clicks Authorize and Allow for a datasource, as the admin
// whose key is given.
func (h *harness) authorizeAs(key, id string) map[string]any {
	h.t.Helper()
	_, auth := h.do("POST", "/v1/datasources/"+id+"/authorize", key, ``)
	back, err := sandbox.Consent(h.srv.Client().Transport, auth["authorizationUrl"].(string), true)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := h.srv.Client().Get(back.String())
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	_, ds := h.do("GET", "/v1/datasources/"+id, key, "")
	if ds["authStatus"] != "authorized" {
		h.t.Fatalf("not authorized: %v", ds)
	}
	return ds
}

func fields(body map[string]any) []string {
	e, _ := body["error"].(map[string]any)
	list, _ := e["fields"].([]any)
	var out []string
	for _, f := range list {
		out = append(out, f.(map[string]any)["field"].(string))
	}
	return out
}

// TestBadInputSendsNothing: every kind of bad input gets invalid_input
// naming the field, and LinkedIn receives nothing.
func TestBadInputSendsNothing(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	const ok = `"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","visibility":"PUBLIC"`
	tests := []struct{ name, body, field string }{
		{"malformed JSON", `{"command":"createPost","params":{`, "body"},
		{"two JSON values", `{"command":"getUserInfo"} {"command":"getUserInfo"}`, "body"},
		{"unknown field", `{"command":"createPost","params":{` + ok + `,"text":"hi","tags":["x"]}}`, "tags"},
		{"wrong type", `{"command":"createPost","params":{` + ok + `,"text":42}}`, "text"},
		{"params of the wrong type", `{"command":"createPost","params":"text"}`, "params"},
		{"enum in the wrong case", `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","visibility":"Public","text":"hi"}}`, "visibility"},
		{"empty text", `{"command":"createPost","params":{` + ok + `,"text":""}}`, "text"},
		{"text over 3000 characters", `{"command":"createPost","params":{` + ok + `,"text":"` + strings.Repeat("é", 3001) + `"}}`, "text"},
		{"media string that is not JSON", `{"command":"createPostWithMedia","params":{` + ok + `,"text":"hi","mediaCategory":"IMAGE","media":"not json"}}`, "media"},
		{"author of no known kind", `{"command":"createPost","params":{"author":"company:1","lifecycleState":"PUBLISHED","visibility":"PUBLIC","text":"hi"}}`, "author"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.app.Sandbox.Reset()
			status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, tt.body)
			if status != 400 || env["error"].(map[string]any)["code"] != "invalid_input" {
				t.Fatalf("%d %v", status, env)
			}
			if got := fields(env); len(got) == 0 || got[0] != tt.field {
				t.Fatalf("fields %v, want %s first", got, tt.field)
			}
			if reqs := h.app.Sandbox.Requests(); len(reqs) != 0 {
				t.Fatalf("LinkedIn received %d requests, first %s %s", len(reqs), reqs[0].Method, reqs[0].Path)
			}
		})
	}
}

func TestBodyOverTheLimit(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	h.app.Sandbox.Reset()
	body := `{"command":"createPost","params":{"text":"` + strings.Repeat("a", 2<<20) + `"}}`
	status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, body)
	if status != 413 || env["error"].(map[string]any)["code"] != "payload_too_large" {
		t.Fatalf("%d %v", status, env["error"])
	}
	if len(h.app.Sandbox.Requests()) != 0 {
		t.Fatal("LinkedIn received an oversized request")
	}
	// A body announced at 20 MiB for a command that carries no file is
	// refused on its first bytes, not after a mebibyte read for nothing.
	big := &countingBody{Reader: io.MultiReader(strings.NewReader(`{"command":"createPost","params":{"text":"`), strings.NewReader(strings.Repeat("a", 20<<20)))}
	req := httptest.NewRequest("POST", "/v1/datasources/"+id+"/execute", big)
	req.ContentLength = 20<<20 + 44
	req.Header.Set("Authorization", "Bearer "+builder)
	w := httptest.NewRecorder()
	h.app.Handler.ServeHTTP(w, req)
	if w.Code != 413 || big.n > 64<<10 {
		t.Fatalf("a 20 MiB createPost: %d after reading %d bytes", w.Code, big.n)
	}
}

// countingBody counts what the server read of a body.
type countingBody struct {
	io.Reader
	n int
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	c.n += n
	return n, err
}

// TestEveryRouteChecksWhoCalls tries each /v1 route without a key, with a
// builder key, and with an admin key of another workspace.
func TestEveryRouteChecksWhoCalls(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	routes := []struct {
		method, path, body string
		adminOnly          bool
		perDatasource      bool
	}{
		{"GET", "/v1/plugins", "", false, false},
		{"GET", "/v1/plugins/linkedin", "", false, false},
		{"GET", "/v1/plugins/linkedin/commands/createPost", "", false, false},
		{"POST", "/v1/datasources", `{"plugin":"linkedin","name":"x"}`, true, false},
		{"GET", "/v1/datasources", "", false, false},
		{"GET", "/v1/datasources/" + id, "", false, true},
		{"PATCH", "/v1/datasources/" + id, `{"name":"renamed"}`, true, true},
		{"POST", "/v1/datasources/" + id + "/authorize", "", true, true},
		{"POST", "/v1/datasources/" + id + "/test", "", false, true},
		{"POST", "/v1/datasources/" + id + "/execute", `{"command":"getUserInfo"}`, false, true},
		{"POST", "/v1/datasources/" + id + "/disconnect", "", true, true},
		{"DELETE", "/v1/datasources/" + id, "", true, true},
	}
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			if status, _ := h.do(r.method, r.path, "", r.body); status != 401 {
				t.Errorf("without a key: %d, want 401", status)
			}
			if status, _ := h.do(r.method, r.path, "wrong-key", r.body); status != 401 {
				t.Errorf("unknown key: %d, want 401", status)
			}
			if r.adminOnly {
				if status, env := h.do(r.method, r.path, builder, r.body); status != 403 {
					t.Errorf("builder: %d %v, want 403", status, env)
				}
			}
			if r.perDatasource {
				if status, _ := h.do(r.method, r.path, other, r.body); status != 404 {
					t.Errorf("other workspace: %d, want 404", status)
				}
			}
		})
	}
	if status, ds := h.do("GET", "/v1/datasources/"+id, builder, ""); status != 200 || ds["name"] != "Marketing" || ds["authStatus"] != "authorized" {
		t.Fatalf("refused calls changed the datasource: %d %v", status, ds)
	}
	if _, list := h.do("GET", "/v1/datasources", other, ""); len(list["datasources"].([]any)) != 0 {
		t.Fatalf("other workspace lists %v", list)
	}
}

func TestDatasourceSecretIsWriteOnly(t *testing.T) {
	h := newHarness(t)
	status, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Own app","config":{"clientId":"86abc","clientSecret":"s3cr3t-value","linkedinVersion":"202609"}}`)
	if status != 201 {
		t.Fatalf("%d %v", status, ds)
	}
	raw, _ := json.Marshal(ds)
	if strings.Contains(string(raw), "s3cr3t-value") || strings.Contains(string(raw), "clientSecret") {
		t.Fatalf("the secret is shown: %s", raw)
	}
	id := ds["id"].(string)
	_, auth := h.do("POST", "/v1/datasources/"+id+"/authorize", admin, "")
	if u := auth["authorizationUrl"].(string); !strings.Contains(u, "client_id=86abc") {
		t.Fatalf("own app not used: %s", u)
	}
	for _, bad := range []string{`{"config":{"linkedinVersion":"2026-10"}}`, `{"name":""}`, `{"config":{"scopes":["admin"]}}`, `{"owner":"x"}`} {
		if status, env := h.do("PATCH", "/v1/datasources/"+id, admin, bad); status != 400 {
			t.Errorf("PATCH %s: %d %v", bad, status, env)
		}
	}
	status, ds = h.do("PATCH", "/v1/datasources/"+id, admin, `{"name":"Renamed"}`)
	if status != 200 || ds["name"] != "Renamed" || ds["config"].(map[string]any)["clientId"] != "86abc" {
		t.Fatalf("PATCH name: %d %v", status, ds)
	}
}

// TestLinkedInRefusesTheTokenMidUse: the member removed the app on LinkedIn;
// the next command says authorization is required and shows LinkedIn's answer.
func TestLinkedInRefusesTheTokenMidUse(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	h.app.Sandbox.RevokeAll()
	status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getUserInfo"}`)
	out, _ := env["output"].(map[string]any)
	if status != 409 || env["error"].(map[string]any)["code"] != "authorization_required" || env["status"] != 401.0 || out["code"] != "REVOKED_ACCESS_TOKEN" {
		t.Fatalf("%d %v", status, env)
	}
}

// partnerDatasource is authorized through the sandbox's partner app, which
// gets refresh tokens.
func (h *harness) partnerDatasource(scopes string) string {
	h.t.Helper()
	_, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Partner","config":{"clientId":"`+sandbox.PartnerClientID+`","clientSecret":"`+sandbox.PartnerClientSecret+`","scopes":`+scopes+`}}`)
	id := ds["id"].(string)
	if ds = h.authorize(id); ds["refreshable"] != true {
		h.t.Fatalf("no refresh token: %v", ds)
	}
	return id
}

func (h *harness) sent(method, path string) int {
	n := 0
	for _, r := range h.app.Sandbox.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, path) {
			n++
		}
	}
	return n
}

// TestRefusedTokenIsRenewed: LinkedIn answers 401 to a token we believed
// valid; a read is repeated with the renewed token, a write is not.
func TestRefusedTokenIsRenewed(t *testing.T) {
	h := newHarness(t)
	id := h.partnerDatasource(`["openid","profile","email","w_member_social"]`)

	h.app.Sandbox.InvalidateAccessTokens()
	h.app.Sandbox.Reset()
	status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getUserInfo"}`)
	if status != 200 || env["output"].(map[string]any)["sub"] != "782bbtaQ" || h.sent("GET", "/v2/userinfo") != 2 || h.sent("POST", "/oauth/v2/accessToken") != 1 {
		t.Fatalf("read after a 401: %d %v; %d userinfo calls, %d token calls", status, env, h.sent("GET", "/v2/userinfo"), h.sent("POST", "/oauth/v2/accessToken"))
	}

	h.app.Sandbox.InvalidateAccessTokens()
	h.app.Sandbox.Reset()
	post := `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"once","visibility":"PUBLIC"}}`
	status, env = h.do("POST", "/v1/datasources/"+id+"/execute", builder, post)
	if status != 409 || env["status"] != 401.0 || h.sent("POST", "/v2/ugcPosts") != 1 || !strings.Contains(env["error"].(map[string]any)["message"].(string), "run the command again") {
		t.Fatalf("write after a 401: %d %v; %d posts", status, env, h.sent("POST", "/v2/ugcPosts"))
	}
	if status, env = h.do("POST", "/v1/datasources/"+id+"/execute", builder, post); status != 200 || env["status"] != 201.0 {
		t.Fatalf("the write run again: %d %v", status, env)
	}
	if _, ds := h.do("GET", "/v1/datasources/"+id, builder, ""); ds["authStatus"] != "authorized" {
		t.Fatalf("after renewals: %v", ds)
	}
}

// TestMissingScopeIsNamedBeforeAnyCall: a member who did not grant
// w_member_social cannot post, and LinkedIn is not asked.
func TestMissingScopeIsNamedBeforeAnyCall(t *testing.T) {
	h := newHarness(t)
	id := h.partnerDatasource(`["openid","profile"]`)
	h.app.Sandbox.Reset()
	status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"x","visibility":"PUBLIC"}}`)
	msg, _ := env["error"].(map[string]any)["message"].(string)
	if status != 409 || !strings.Contains(msg, "w_member_social") || len(h.app.Sandbox.Requests()) != 0 {
		t.Fatalf("%d %v; %d requests", status, env, len(h.app.Sandbox.Requests()))
	}
}

// TestExpiredStatusAfterRefusal: a token LinkedIn refuses and that cannot
// be refreshed shows as expired, with the reason.
func TestExpiredStatusAfterRefusal(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	h.app.Sandbox.RevokeAll()
	h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getUserInfo"}`)
	_, ds := h.do("GET", "/v1/datasources/"+id, builder, "")
	if ds["authStatus"] != "expired" || !strings.Contains(fmt.Sprint(ds["authError"]), "revoked") {
		t.Fatalf("%v", ds)
	}
	status, body := h.do("POST", "/v1/datasources/"+id+"/test", builder, "")
	if status != 200 || body["ok"] != false || !strings.Contains(fmt.Sprint(body["message"]), "Authorize") {
		t.Fatalf("test of an expired datasource: %d %v", status, body)
	}
}

// TestMalformedCallbacksStoreNothing: what LinkedIn could not have sent is
// refused on a page, without a redirect and without touching the state.
func TestMalformedCallbacksStoreNothing(t *testing.T) {
	h := newHarness(t)
	_, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"x"}`)
	id := ds["id"].(string)
	_, auth := h.do("POST", "/v1/datasources/"+id+"/authorize", admin, ``)
	back, err := sandbox.Consent(h.srv.Client().Transport, auth["authorizationUrl"].(string), true)
	if err != nil {
		t.Fatal(err)
	}
	q := back.Query()
	state, code := q.Get("state"), q.Get("code")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for name, query := range map[string]string{
		"no parameters":          "",
		"repeated state":         "state=" + state + "&state=" + state + "&code=" + code,
		"repeated code":          "state=" + state + "&code=" + code + "&code=" + code,
		"state of 10 kB":         "state=" + strings.Repeat("A", 10<<10) + "&code=" + code,
		"code with control char": "state=" + state + "&code=" + code + "%0d%0aSet-Cookie:%20x",
		"code with NUL":          "state=" + state + "&code=%00" + code,
		"error with markup":      "state=" + state + "&error=%3Cscript%3E",
	} {
		resp, err := client.Get(h.srv.URL + "/oauth/callback?" + query)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || strings.Contains(string(page), "<script>") {
			t.Errorf("%s: %d %q %s", name, resp.StatusCode, resp.Header.Get("Location"), page)
		}
	}
	if _, ds = h.do("GET", "/v1/datasources/"+id, admin, ""); ds["authStatus"] != "unauthorized" {
		t.Fatalf("a malformed callback stored a token: %v", ds)
	}
	// The well-formed callback still works: nothing above used the state up.
	resp, err := client.Get(h.srv.URL + "/oauth/callback?state=" + state + "&code=" + code)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, ds = h.do("GET", "/v1/datasources/"+id, admin, ""); resp.StatusCode != 200 || ds["authStatus"] != "authorized" {
		t.Fatalf("the real callback after the malformed ones: %d %v", resp.StatusCode, ds)
	}
}

// TestAuthEventsReachTheWebhook: events are signed with the shared secret.
func TestAuthEventsReachTheWebhook(t *testing.T) {
	const secret = "a-webhook-secret-of-some-length"
	got := make(chan map[string]any, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(webhook.SignatureHeader) != webhook.Sign([]byte(secret), body) {
			t.Errorf("bad signature on %s", body)
		}
		var e map[string]any
		json.Unmarshal(body, &e)
		got <- e
	}))
	defer hook.Close()
	h := startHarness(t, map[string]string{"PLUGIN_SERVER_WEBHOOK_URL": hook.URL, "PLUGIN_SERVER_WEBHOOK_SECRET": secret}, app.Options{}, "--sandbox")
	id := h.authorizedDatasource()
	h.do("POST", "/v1/datasources/"+id+"/disconnect", admin, "")
	for _, want := range []string{"authorized", "disconnected"} {
		select {
		case e := <-got:
			if e["type"] != want || e["datasourceId"] != id || e["workspace"] != "acme" {
				t.Fatalf("event %v, want %s", e, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s event", want)
		}
	}
}

// TestRequestLogNamesTheWorkspace: the request line names the caller's
// workspace, found by authenticate after the log's middleware ran.
func TestRequestLogNamesTheWorkspace(t *testing.T) {
	h := newHarness(t)
	h.do("GET", "/v1/datasources", other, "")
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(line, `"message":"request"`) && strings.Contains(line, `"route":"/v1/datasources"`) {
			if !strings.Contains(line, `"workspace":"other"`) {
				t.Fatalf("the request line does not name the workspace: %s", line)
			}
			return
		}
	}
	t.Fatalf("no request line for /v1/datasources:\n%s", h.logs.String())
}

// TestRequestLogNamesTheExecute: an execute's request line says which
// request, route, workspace, datasource and command it was, how it ended
// and how long it took, whether it succeeded or not.
func TestRequestLogNamesTheExecute(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	h.execute(id, "getUserInfo", `{}`)
	h.execute(id, "createPost", `{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"","visibility":"PUBLIC"}`)
	h.do("POST", "/v1/datasources/ds_missing/execute", builder, `{"command":"getUserInfo"}`)
	h.do("GET", "/v1/datasources/"+id, builder, "")
	want := []map[string]any{
		{"route": "/v1/datasources/{id}/execute", "status": 200.0, "datasource": id, "command": "getUserInfo", "outcome": "ok"},
		{"route": "/v1/datasources/{id}/execute", "status": 400.0, "datasource": id, "command": "createPost", "outcome": "invalid_input"},
		// Refused before its body was read: no command yet.
		{"route": "/v1/datasources/{id}/execute", "status": 404.0, "datasource": "ds_missing", "command": "", "outcome": "not_found"},
		{"route": "/v1/datasources/{id}", "status": 200.0, "datasource": id, "command": nil, "outcome": "ok"},
	}
	var lines []map[string]any
	for _, line := range strings.Split(h.logs.String(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["message"] == "request" {
			lines = append(lines, l)
		}
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			if l["route"] != w["route"] || l["status"] != w["status"] || l["datasource"] != w["datasource"] || l["command"] != w["command"] {
				continue
			}
			found = true
			if l["outcome"] != w["outcome"] || l["workspace"] != "acme" || l["method"] == nil {
				t.Errorf("request line %v, want outcome %v in workspace acme", l, w["outcome"])
			}
			if id, _ := l["requestId"].(string); len(id) != 16 {
				t.Errorf("request line without its request id: %v", l)
			}
			if d, ok := l["duration"].(float64); !ok || d <= 0 {
				t.Errorf("request line without its duration: %v", l)
			}
			// An execute that ran says how long it queued and how long
			// it waited on LinkedIn, within its duration.
			queued, okQ := l["queued"].(float64)
			linkedIn, okL := l["linkedin"].(float64)
			if ran := w["status"] != 404.0 && w["command"] != nil; ran != (okQ && okL) || ran && (queued < 0 || linkedIn < 0 || queued+linkedIn > l["duration"].(float64)) {
				t.Errorf("request line's queued and linkedin: %v", l)
			}
			if w["command"] == "getUserInfo" && linkedIn <= 0 {
				t.Errorf("getUserInfo's line says it did not wait on LinkedIn: %v", l)
			}
		}
		if !found {
			t.Errorf("no request line like %v in:\n%s", w, h.logs.String())
		}
	}
}

// TestMeSaysWhoTheKeyIs: the console asks which buttons to show.
func TestMeSaysWhoTheKeyIs(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct{ key, workspace, role string }{{admin, "acme", "admin"}, {builder, "acme", "builder"}, {other, "other", "admin"}} {
		if status, me := h.do("GET", "/v1/me", tt.key, ""); status != 200 || me["workspace"] != tt.workspace || me["role"] != tt.role {
			t.Errorf("%s: %d %v", tt.role, status, me)
		}
	}
	if status, _ := h.do("GET", "/v1/me", "wrong-key-0123456789", ""); status != 401 {
		t.Errorf("a wrong key: %d", status)
	}
}
