package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"pluginserver/internal/app"
	"pluginserver/internal/config"
	"pluginserver/plugin/linkedin"
)

// server is a plugin-server started with run(), as a user would start it.
type server struct {
	t      *testing.T
	url    string
	client *http.Client
	// stop ends the server and waits for run to return.
	stop func()
}

const (
	adminKey   = "adm-7f3c9a1e5b2d4c8f"
	builderKey = "bld-2a6e8c0f4b1d3e5a"
	otherKey   = "oth-9c1b3d5f7a2e4c6b"
	returnURL  = "http://app.example/datasources/back"
)

func startServer(t *testing.T, extraEnv map[string]string, args ...string) *server {
	t.Helper()
	env := map[string]string{
		"PLUGIN_SERVER_API_KEYS":       adminKey + ":admin:acme," + builderKey + ":builder:acme," + otherKey + ":admin:other",
		"PLUGIN_SERVER_RETURN_ORIGINS": "http://app.example",
		"LOG_FORMAT":                   "json",
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	return startRun(t, env, io.Discard, args...)
}

// startRun starts run() with env as its whole environment and stderr as
// its own.
func startRun(t *testing.T, env map[string]string, stderr io.Writer, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	args = append([]string{"--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "plugin-server.db")}, args...)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, stdoutW, stderr)
		stdoutW.Close()
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run returned %v", err)
			}
		})
	}
	t.Cleanup(stop)
	lines := bufio.NewScanner(stdoutR)
	if !lines.Scan() {
		t.Fatalf("server printed nothing: %v", <-done)
	}
	base, ok := strings.CutPrefix(lines.Text(), "plugin-server listening on ")
	if !ok {
		t.Fatalf("first line %q", lines.Text())
	}
	go io.Copy(io.Discard, stdoutR)
	// The browser follows redirects until it lands on the builder's app.
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "app.example" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return &server{t: t, url: base, client: client, stop: stop}
}

// call sends a JSON request with a key and decodes the JSON answer.
func (s *server) call(method, path, key string, body any) (int, map[string]any) {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		r = strings.NewReader(string(raw))
	}
	req, _ := http.NewRequest(method, s.url+path, r)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
	}
	return resp.StatusCode, out
}

func (s *server) execute(key, id, command string, params any) (int, map[string]any) {
	s.t.Helper()
	return s.call("POST", "/v1/datasources/"+id+"/execute", key, map[string]any{"command": command, "params": params})
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// authorize clicks Authorize, then Allow or Cancel on LinkedIn's page, and
// returns where the browser lands.
func (s *server) authorize(id, decision string) *url.URL {
	s.t.Helper()
	status, body := s.call("POST", "/v1/datasources/"+id+"/authorize", adminKey, map[string]string{"returnUrl": returnURL})
	if status != 200 {
		s.t.Fatalf("authorize: %d %v", status, body)
	}
	authURL := body["authorizationUrl"].(string)
	page, err := s.client.Get(authURL)
	if err != nil {
		s.t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	form := url.Values{"decision": {decision}}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(html), -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	if form.Get("state") == "" {
		s.t.Fatalf("authorization page has no form: %s", html)
	}
	resp, err := s.client.PostForm(strings.Split(authURL, "?")[0], form)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		s.t.Fatalf("callback answered %d, want a redirect to the returnUrl", resp.StatusCode)
	}
	loc, _ := resp.Location()
	return loc
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'").Replace(s)
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func get(m any, path ...string) any {
	for _, k := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

// TestReadmeFlow walks the README: create a datasource, authorize it
// (cancelled, then approved), run every command, and get the error codes
// for what a builder can get wrong.
func TestReadmeFlow(t *testing.T) {
	s := startServer(t, nil, "--sandbox")

	// Who may do what.
	if status, body := s.call("GET", "/v1/plugins", "", nil); status != 401 || errorCode(body) != "unauthenticated" {
		t.Fatalf("no key: %d %v", status, body)
	}
	if status, body := s.call("GET", "/v1/plugins", "not-a-key", nil); status != 401 || errorCode(body) != "unauthenticated" {
		t.Fatalf("unknown key: %d %v", status, body)
	}
	status, body := s.call("GET", "/v1/plugins", builderKey, nil)
	if status != 200 || len(get(body, "plugins").([]any)[0].(map[string]any)["commands"].([]any)) != len(linkedin.Plugin().Commands) {
		t.Fatalf("plugins: %d %v", status, body)
	}
	status, body = s.call("GET", "/v1/plugins/linkedin/commands/createPost", builderKey, nil)
	if status != 200 || get(body, "schema", "properties", "author", "examples") == nil || get(body, "uiSchema", "text", "ui:widget") != "textarea" {
		t.Fatalf("createPost form: %d %v", status, body)
	}
	if status, body := s.call("POST", "/v1/datasources", builderKey, map[string]any{"plugin": "linkedin", "name": "x"}); status != 403 || errorCode(body) != "forbidden" {
		t.Fatalf("builder creates: %d %v", status, body)
	}

	status, ds := s.call("POST", "/v1/datasources", adminKey, map[string]any{"plugin": "linkedin", "name": "Marketing",
		"config": map[string]any{"scopes": []string{"openid", "profile", "email", "w_member_social"}}})
	if status != 201 || ds["authStatus"] != "unauthorized" || ds["workspace"] != "acme" {
		t.Fatalf("create: %d %v", status, ds)
	}
	id := ds["id"].(string)

	// Another workspace sees nothing.
	for _, r := range []struct{ method, path string }{{"GET", ""}, {"PATCH", ""}, {"DELETE", ""}, {"POST", "/authorize"}, {"POST", "/execute"}, {"POST", "/test"}, {"POST", "/disconnect"}} {
		if status, body := s.call(r.method, "/v1/datasources/"+id+r.path, otherKey, map[string]any{"command": "getUserInfo"}); status != 404 || errorCode(body) != "not_found" {
			t.Errorf("other workspace %s %s: %d %v", r.method, r.path, status, body)
		}
	}
	for _, path := range []string{"/authorize", "/disconnect"} {
		if status, _ := s.call("POST", "/v1/datasources/"+id+path, builderKey, nil); status != 403 {
			t.Errorf("builder %s: %d, want 403", path, status)
		}
	}
	if status, body := s.execute(builderKey, id, "getUserInfo", nil); status != 409 || errorCode(body) != "authorization_required" {
		t.Fatalf("before authorizing: %d %v", status, body)
	}
	if status, body := s.call("POST", "/v1/datasources/"+id+"/authorize", adminKey, map[string]string{"returnUrl": "https://evil.test/x"}); status != 400 || errorCode(body) != "invalid_input" {
		t.Fatalf("returnUrl on another origin: %d %v", status, body)
	}

	// Cancel, then approve.
	loc := s.authorize(id, "cancel")
	if q := loc.Query(); loc.Host != "app.example" || q.Get("status") != "error" || q.Get("error") != "user_cancelled_authorize" || q.Get("datasourceId") != id {
		t.Fatalf("cancel landed on %s", loc)
	}
	if _, ds = s.call("GET", "/v1/datasources/"+id, adminKey, nil); ds["authStatus"] != "unauthorized" {
		t.Fatalf("a cancelled authorization stored something: %v", ds)
	}
	loc = s.authorize(id, "approve")
	if q := loc.Query(); loc.String() != returnURL+"?"+q.Encode() || q.Get("status") != "authorized" || q.Get("datasourceId") != id {
		t.Fatalf("approve landed on %s", loc)
	}
	_, ds = s.call("GET", "/v1/datasources/"+id, builderKey, nil)
	if ds["authStatus"] != "authorized" || get(ds, "authorizedAs", "sub") != "782bbtaQ" || ds["tokenExpiresAt"] == nil || len(ds["scopes"].([]any)) != 4 {
		t.Fatalf("after authorizing: %v", ds)
	}

	// Every command.
	status, env := s.execute(builderKey, id, "getUserInfo", map[string]any{})
	if status != 200 || get(env, "output", "sub") != "782bbtaQ" || env["status"] != 200.0 {
		t.Fatalf("getUserInfo: %d %v", status, env)
	}
	author := "person:" + get(env, "output", "sub").(string)
	postParams := map[string]any{"author": author, "lifecycleState": "PUBLISHED", "text": "Hello World!", "visibility": "PUBLIC"}
	status, env = s.execute(builderKey, id, "createPost", postParams)
	if status != 200 || env["status"] != 201.0 || !strings.HasPrefix(fmt.Sprint(get(env, "output", "id")), "urn:li:share:") || get(env, "headers", "x-restli-id") != get(env, "output", "id") {
		t.Fatalf("createPost: %d %v", status, env)
	}
	// LinkedIn names the duplicate inside errorDetails.inputErrors and the
	// existing post in its message; the error names that post.
	first := get(env, "output", "id")
	status, env = s.execute(builderKey, id, "createPost", postParams)
	if status != 422 || errorCode(env) != "linkedin_rejected" || get(env, "output", "errorDetails", "inputErrors") == nil || env["status"] != 422.0 ||
		!strings.Contains(fmt.Sprint(get(env, "error", "message")), fmt.Sprintf("already exists as %s;", first)) {
		t.Fatalf("duplicate post: %d %v", status, env)
	}

	status, env = s.execute(builderKey, id, "registerMediaUpload", map[string]any{"author": author, "mediaCategory": "image"})
	mechanism := get(env, "output", "value", "uploadMechanism", "com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest", "uploadUrl")
	asset, _ := get(env, "output", "value", "asset").(string)
	if status != 200 || mechanism == nil || !strings.HasPrefix(asset, "urn:li:digitalmediaAsset:") {
		t.Fatalf("registerMediaUpload: %d %v", status, env)
	}
	mediaStatus := func() any {
		_, env := s.execute(builderKey, id, "getMediaUploadStatus", map[string]any{"mediaCategory": "image", "mediaId": asset})
		return get(env, "output", "status")
	}
	if got := mediaStatus(); got != "WAITING_UPLOAD" {
		t.Fatalf("status before upload: %v", got)
	}
	status, env = s.execute(builderKey, id, "uploadMedia", map[string]any{"uploadUrl": mechanism, "data": "data:image/png;base64,iVBORw0KGgo=", "contentType": "image/png"})
	if status != 200 || env["status"] != 201.0 {
		t.Fatalf("uploadMedia: %d %v", status, env)
	}
	if got := mediaStatus(); got != "AVAILABLE" {
		t.Fatalf("status after upload: %v", got)
	}
	withMedia := map[string]any{"author": author, "lifecycleState": "PUBLISHED", "text": "Our new office", "visibility": "CONNECTIONS",
		"mediaCategory": "IMAGE", "media": `[{"media":"` + asset + `","title":"Office"}]`}
	if status, env = s.execute(builderKey, id, "createPostWithMedia", withMedia); status != 200 || env["status"] != 201.0 {
		t.Fatalf("createPostWithMedia: %d %v", status, env)
	}
	if status, env = s.execute(builderKey, id, "customAction", map[string]any{"method": "GET", "path": "/v2/userinfo"}); status != 200 || get(env, "output", "name") != "John Doe" {
		t.Fatalf("customAction: %d %v", status, env)
	}
	if status, env = s.execute(builderKey, id, "customAction", map[string]any{"method": "GET", "path": "/rest/images/urn%3Ali%3Aimage%3Anone", "headers": map[string]string{"LinkedIn-Version": "201901"}}); status != 422 || get(env, "output", "code") != "NONEXISTENT_VERSION" || env["status"] != 426.0 {
		t.Fatalf("retired version: %d %v", status, env)
	}

	// A dry run shows the request and sends nothing.
	status, env = s.call("POST", "/v1/datasources/"+id+"/execute?dryRun=true", builderKey, map[string]any{"command": "createPost", "params": map[string]any{"author": author, "lifecycleState": "PUBLISHED", "text": "dry", "visibility": "PUBLIC"}})
	if status != 200 || env["status"] != 0.0 || get(env, "output", "headers", "Authorization") != "Bearer [REDACTED]" || get(env, "output", "method") != "POST" ||
		get(env, "output", "body", "specificContent", "com.linkedin.ugc.ShareContent", "shareCommentary", "text") != "dry" {
		t.Fatalf("dry run: %d %v", status, env)
	}
	if status, env = s.execute(builderKey, id, "createPost", map[string]any{"author": author, "lifecycleState": "PUBLISHED", "text": "dry", "visibility": "PUBLIC"}); env["status"] != 201.0 {
		t.Fatalf("the dry run was sent: the same post is now a duplicate: %d %v", status, env)
	}

	// What a builder can get wrong.
	for _, tt := range []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"malformed JSON", `{"command":"createPost",`, 400, "invalid_input", "body"},
		{"unknown top-level field", `{"command":"getUserInfo","params":{},"extra":1}`, 400, "invalid_input", "extra"},
		{"command of the wrong type", `{"command":5}`, 400, "invalid_input", "command"},
		{"no command", `{"params":{}}`, 400, "invalid_input", "command"},
		{"unknown command", `{"command":"deleteEverything"}`, 404, "not_found", ""},
		{"bad params", `{"command":"createPost","params":{"author":"bob","lifecycleState":"PUBLISHED","text":"x","visibility":"PUBLIC"}}`, 400, "invalid_input", "author"},
	} {
		status, env := s.call("POST", "/v1/datasources/"+id+"/execute", builderKey, tt.body)
		fields, _ := get(env, "error", "fields").([]any)
		if status != tt.status || errorCode(env) != tt.code || (tt.field != "" && (len(fields) == 0 || get(fields[0], "field") != tt.field)) {
			t.Errorf("%s: %d %v", tt.name, status, env)
		}
	}
	if status, env := s.execute(builderKey, "ds_doesnotexist", "getUserInfo", nil); status != 404 || errorCode(env) != "not_found" {
		t.Errorf("unknown datasource: %d %v", status, env)
	}

	// Test, disconnect, delete.
	if status, body = s.call("POST", "/v1/datasources/"+id+"/test", builderKey, nil); status != 200 || body["ok"] != true || get(body, "member", "sub") != "782bbtaQ" {
		t.Fatalf("test: %d %v", status, body)
	}
	if status, body = s.call("POST", "/v1/datasources/"+id+"/disconnect", adminKey, nil); status != 200 || body["authStatus"] != "unauthorized" || body["warning"] != nil {
		t.Fatalf("disconnect: %d %v", status, body)
	}
	if status, env = s.execute(builderKey, id, "getUserInfo", nil); status != 409 || errorCode(env) != "authorization_required" {
		t.Fatalf("after disconnect: %d %v", status, env)
	}
	if status, body = s.call("DELETE", "/v1/datasources/"+id, adminKey, nil); status != 200 || body["deleted"] != true {
		t.Fatalf("delete: %d %v", status, body)
	}
	if status, _ = s.call("GET", "/v1/datasources/"+id, adminKey, nil); status != 404 {
		t.Fatalf("deleted datasource: %d", status)
	}
}

// TestCallbackRefusesBadStates: a state that is unknown or used stores
// nothing and says why on the page.
func TestCallbackRefusesBadStates(t *testing.T) {
	s := startServer(t, nil, "--sandbox")
	_, ds := s.call("POST", "/v1/datasources", adminKey, map[string]any{"plugin": "linkedin", "name": "x"})
	id := ds["id"].(string)
	for name, query := range map[string]string{
		"unknown state": "code=abc&state=" + strings.Repeat("A", 43),
		"no state":      "code=abc",
	} {
		resp, err := http.Get(s.url + "/oauth/callback?" + query)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(page), "invalid_state") {
			t.Errorf("%s: %d %s", name, resp.StatusCode, page)
		}
	}
	if _, ds = s.call("GET", "/v1/datasources/"+id, adminKey, nil); ds["authStatus"] != "unauthorized" {
		t.Fatalf("a refused callback stored a token: %v", ds)
	}
}

func TestConfigProblemsAreListedTogether(t *testing.T) {
	env := map[string]string{
		"PLUGIN_SERVER_API_KEYS":       "k:root:acme",
		"PLUGIN_SERVER_SECRET_KEY":     "c2hvcnQ=",
		"PLUGIN_SERVER_RETURN_ORIGINS": "javascript:alert(1)",
		"LOG_LEVEL":                    "loud",
	}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("started with a bad configuration")
	}
	for _, want := range []string{"role must be admin or builder", "PLUGIN_SERVER_SECRET_KEY", "PLUGIN_SERVER_RETURN_ORIGINS", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	err = run(context.Background(), []string{"--addr", "0.0.0.0:0"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PLUGIN_SERVER_API_KEYS is empty") {
		t.Errorf("no keys on a public address: %v", err)
	}
}

// TestHeaderLimit: headers beyond 64 KiB are refused before any handler.
func TestHeaderLimit(t *testing.T) {
	s := startServer(t, nil, "--sandbox")
	req, _ := http.NewRequest("GET", s.url+"/v1/plugins", nil)
	req.Header.Set("Authorization", "Bearer "+builderKey)
	req.Header.Set("X-Padding", strings.Repeat("a", 100<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

// TestMemoryLimit: the server holds the Go runtime to its memory limit
// while it runs, leaves an operator's GOMEMLIMIT alone, and gives the
// process its own limit back when it stops.
func TestMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	// By default, the server's own budget for its 64 MiB of bodies, at
	// most nine tenths of what the machine or container gives.
	derived := config.MemoryLimitFor(app.MemoryAvailable(os.DirFS("/")), 64<<20)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want int64
	}{
		{"default", nil, derived},
		{"set", map[string]string{"PLUGIN_SERVER_MEMORY_LIMIT": "100663296"}, 96 << 20},
		{"off", map[string]string{"PLUGIN_SERVER_MEMORY_LIMIT": "0"}, before},
		{"GOMEMLIMIT", map[string]string{"GOMEMLIMIT": "200MiB"}, before},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.env)
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("while serving: limit %d, want %d", got, tc.want)
			}
			s.stop()
			if got := debug.SetMemoryLimit(-1); got != before {
				t.Errorf("after: limit %d, want %d back", got, before)
			}
		})
	}
}
