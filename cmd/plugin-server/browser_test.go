package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

const builderOrigin = "https://builder.example.com"

// browse sends what a browser would: the request with the given headers,
// never following a redirect. It returns the answer and its body.
func (s *server) browse(method, path string, headers map[string]string, body string) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: s.client.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(raw)
}

// refusedField is the header a 403 envelope names, or "" when the answer
// is something else.
func refusedField(resp *http.Response, body string) string {
	var env struct {
		Error struct {
			Code   string
			Fields []struct{ Field string }
		}
	}
	if resp.StatusCode != http.StatusForbidden || json.Unmarshal([]byte(body), &env) != nil || env.Error.Code != "forbidden" || len(env.Error.Fields) != 1 {
		return ""
	}
	return env.Error.Fields[0].Field
}

// startBrowserServer starts a plugin-server process with the sandbox, CORS
// for builderOrigin and more settings as name, value pairs.
func startBrowserServer(t *testing.T, more ...string) *server {
	t.Helper()
	env := []string{"PLUGIN_SERVER_SANDBOX=1", "PLUGIN_SERVER_CORS_ORIGINS=" + builderOrigin, "LOG_LEVEL=error"}
	for i := 0; i < len(more); i += 2 {
		env = append(env, more[i]+"="+more[i+1])
	}
	s, _ := startProcess(t, env, filepath.Join(t.TempDir(), "plugin-server.db"))
	return s
}

// TestBrowserCORS: a builder's page on an allowed origin may call the API
// with a key; other origins get no CORS answer.
func TestBrowserCORS(t *testing.T) {
	s := startBrowserServer(t, "PLUGIN_SERVER_API_KEYS", adminKey+":admin:acme")

	resp, body := s.browse("OPTIONS", "/v1/datasources", map[string]string{"Origin": builderOrigin, "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "authorization,content-type,idempotency-key", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}, "")
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":  builderOrigin,
		"Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE",
		"Access-Control-Allow-Headers": "Authorization, Cache-Control, Content-Type, Idempotency-Key, X-Request-Id",
		"Access-Control-Max-Age":       "600",
		"Vary":                         "Origin",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("preflight %s %q, want %q", k, got, v)
		}
	}
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("preflight: %d %v %s", resp.StatusCode, resp.Header, body)
	}

	for _, tc := range []struct {
		name, key string
		status    int
	}{
		{"with a key", adminKey, http.StatusCreated},
		{"without a key, the error readable", "", http.StatusUnauthorized},
	} {
		headers := map[string]string{"Origin": builderOrigin, "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}
		if tc.key != "" {
			headers["Authorization"] = "Bearer " + tc.key
		}
		resp, body = s.browse("POST", "/v1/datasources", headers, `{"plugin":"linkedin","name":"From the builder"}`)
		if resp.StatusCode != tc.status || resp.Header.Get("Access-Control-Allow-Origin") != builderOrigin || resp.Header.Get("Vary") != "Origin" ||
			resp.Header.Get("Access-Control-Expose-Headers") != "X-Request-Id, Retry-After, Idempotent-Replayed, Age" || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: %d %v %s", tc.name, resp.StatusCode, resp.Header, body)
		}
	}

	resp, body = s.browse("OPTIONS", "/v1/datasources", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, "")
	if refusedField(resp, body) != "Origin" || resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("preflight from another origin: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, _ = s.browse("GET", "/v1/datasources", map[string]string{"Origin": "https://evil.example", "Authorization": "Bearer " + adminKey}, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a call from another origin: %d %v", resp.StatusCode, resp.Header)
	}
	// With keys, the key is what authenticates: any Host is served.
	if resp, body = s.browse("GET", "/v1/datasources", map[string]string{"Host": "plugins.example.com", "Authorization": "Bearer " + adminKey}, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("another Host with a key: %d %s", resp.StatusCode, body)
	}
}

// TestBrowserAnonymousHostAndOrigin: without keys, a web page cannot reach
// the admin API, through another site or a DNS-rebound name, while the
// OAuth dance a browser makes still works from start to end.
func TestBrowserAnonymousHostAndOrigin(t *testing.T) {
	s := startBrowserServer(t, "PLUGIN_SERVER_API_KEYS", "")
	own := s.url
	port := s.url[strings.LastIndex(s.url, ":")+1:]

	for _, tc := range []struct {
		name, method, path string
		headers            map[string]string
		field              string
	}{
		{"rebound name", "GET", "/v1/datasources", map[string]string{"Host": "attacker.test:" + port}, "Host"},
		{"rebound name, health", "GET", "/healthz", map[string]string{"Host": "attacker.test"}, "Host"},
		{"rebound name, callback", "GET", "/oauth/callback?code=x&state=y", map[string]string{"Host": "attacker.test:" + port}, "Host"},
		{"cross-site text/plain POST", "POST", "/v1/datasources", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site",
			"Sec-Fetch-Mode": "no-cors", "Content-Type": "text/plain;charset=UTF-8"}, "Origin"},
		{"cross-site, no Origin", "POST", "/v1/datasources", map[string]string{"Sec-Fetch-Site": "cross-site",
			"Content-Type": "application/x-www-form-urlencoded"}, "Sec-Fetch-Site"},
		{"opaque origin", "POST", "/v1/datasources", map[string]string{"Origin": "null", "Content-Type": "text/plain"}, "Origin"},
		{"another local port", "POST", "/v1/datasources", map[string]string{"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site", "Content-Type": "text/plain"}, "Origin"},
	} {
		resp, body := s.browse(tc.method, tc.path, tc.headers, `{"plugin":"linkedin","name":"Planted"}`)
		if got := refusedField(resp, body); got != tc.field {
			t.Errorf("%s: %d %s, want 403 naming %s", tc.name, resp.StatusCode, body, tc.field)
		}
	}
	if status, list := s.call("GET", "/v1/datasources", "", nil); status != 200 || len(list["datasources"].([]any)) != 0 {
		t.Fatalf("a refused request created something: %d %v", status, list)
	}
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port} {
		if resp, body := s.browse("GET", "/v1/datasources", map[string]string{"Host": host}, ""); resp.StatusCode != 200 {
			t.Errorf("Host %s: %d %s", host, resp.StatusCode, body)
		}
	}

	// The builder's page creates and authorizes a datasource through CORS.
	builder := map[string]string{"Origin": builderOrigin, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors", "Content-Type": "application/json"}
	resp, body := s.browse("POST", "/v1/datasources", builder, `{"plugin":"linkedin","name":"Marketing","config":{"scopes":["openid","profile","email"]}}`)
	var ds map[string]any
	if json.Unmarshal([]byte(body), &ds); resp.StatusCode != http.StatusCreated || resp.Header.Get("Access-Control-Allow-Origin") != builderOrigin {
		t.Fatalf("create from the builder: %d %s", resp.StatusCode, body)
	}
	id := ds["id"].(string)
	resp, body = s.browse("POST", "/v1/datasources/"+id+"/authorize", builder, "")
	var auth map[string]any
	if json.Unmarshal([]byte(body), &auth); resp.StatusCode != 200 {
		t.Fatalf("authorize from the builder: %d %s", resp.StatusCode, body)
	}
	authURL, err := url.Parse(auth["authorizationUrl"].(string))
	if err != nil || !strings.HasPrefix(authURL.String(), own+"/sandbox/") {
		t.Fatalf("authorizationUrl %v", auth)
	}

	// The page opens the consent page: a cross-site navigation.
	navigate := map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	resp, page := s.browse("GET", authURL.RequestURI(), navigate, "")
	form := url.Values{"decision": {"approve"}}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	if resp.StatusCode != 200 || form.Get("state") == "" {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	// Allow posts the form back to its own origin.
	resp, body = s.browse("POST", authURL.Path, map[string]string{"Origin": own, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate",
		"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	callback, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || callback.Path != "/oauth/callback" {
		t.Fatalf("Allow: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// With real LinkedIn the callback comes from linkedin.com: cross-site.
	resp, page = s.browse("GET", callback.RequestURI(), navigate, "")
	if resp.StatusCode != 200 || !strings.Contains(page, "LinkedIn connected") {
		t.Fatalf("callback: %d %s", resp.StatusCode, page)
	}
	if _, ds = s.call("GET", "/v1/datasources/"+id, "", nil); ds["authStatus"] != "authorized" {
		t.Fatalf("after the dance: %v", ds)
	}

	// A page on another site cannot answer the consent form for the member.
	resp, body = s.browse("POST", authURL.Path, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site",
		"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	if refusedField(resp, body) != "Origin" {
		t.Errorf("cross-site consent: %d %s", resp.StatusCode, body)
	}
}

// TestConfigMistakesAtStart: the server refuses to start on each mistake
// and says which setting; --sandbox-public starts, with a warning.
func TestConfigMistakesAtStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string // in the error; "" starts
		log  string // in the log when it starts
	}{
		{"key listed twice", nil, map[string]string{"PLUGIN_SERVER_API_KEYS": adminKey + ":admin:acme," + adminKey + ":builder:acme"}, "PLUGIN_SERVER_API_KEYS entry 2: the same key as entry 1", ""},
		{"short key", nil, map[string]string{"PLUGIN_SERVER_API_KEYS": "short:admin:acme"}, "PLUGIN_SERVER_API_KEYS entry 1: the key must be at least 16 characters", ""},
		{"sandbox with a real app", []string{"--sandbox"}, map[string]string{"LINKEDIN_CLIENT_ID": "77abcdefghijkl", "LINKEDIN_CLIENT_SECRET": "x"}, "LINKEDIN_CLIENT_ID", ""},
		{"sandbox on a public URL", []string{"--sandbox"}, map[string]string{"PLUGIN_SERVER_API_KEYS": adminKey + ":admin:acme", "PLUGIN_SERVER_PUBLIC_URL": "https://plugins.example.com"}, "--sandbox-public", ""},
		{"--sandbox-public", []string{"--sandbox", "--sandbox-public"}, map[string]string{"PLUGIN_SERVER_API_KEYS": adminKey + ":admin:acme", "PLUGIN_SERVER_PUBLIC_URL": "https://plugins.example.com"}, "", "reachable by others"},
		{"bad CORS origin", nil, map[string]string{"PLUGIN_SERVER_CORS_ORIGINS": "*"}, "PLUGIN_SERVER_CORS_ORIGINS", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := with(tc.env, "LOG_FORMAT", "json")
			var logs bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stdoutR, stdoutW := io.Pipe()
			done := make(chan error, 1)
			args := append([]string{"--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "plugin-server.db")}, tc.args...)
			go func() {
				done <- run(ctx, args, func(k string) string { return env[k] }, stdoutW, &logs)
				stdoutW.Close()
			}()
			// A server that starts is stopped once it says it listens.
			if bufio.NewScanner(stdoutR).Scan() {
				cancel()
			}
			go io.Copy(io.Discard, stdoutR)
			err := <-done
			if tc.want == "" {
				if err != nil || !strings.Contains(logs.String(), tc.log) {
					t.Fatalf("run: %v; log lacks %q:\n%s", err, tc.log, logs.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
