package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"pluginserver/internal/app"
	"pluginserver/internal/config"
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
	t   *testing.T
	srv *httptest.Server
	app *app.App
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	env := map[string]string{"PLUGIN_SERVER_API_KEYS": admin + ":admin:acme," + builder + ":builder:acme," + other + ":admin:other"}
	cfg, err := config.Parse([]string{"--sandbox", "--db", filepath.Join(t.TempDir(), "test.db")}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.Resolve(srv.Listener.Addr().String())
	a, err := app.New(context.Background(), cfg, zerolog.Nop(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &harness{t: t, srv: srv, app: a}
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
	_, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Marketing"}`)
	id := ds["id"].(string)
	_, auth := h.do("POST", "/v1/datasources/"+id+"/authorize", admin, ``)
	back, err := sandbox.Consent(h.srv.Client().Transport, auth["authorizationUrl"].(string), true)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := h.srv.Client().Get(back.String())
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if _, ds = h.do("GET", "/v1/datasources/"+id, admin, ""); ds["authStatus"] != "authorized" {
		h.t.Fatalf("not authorized: %v", ds)
	}
	return id
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
