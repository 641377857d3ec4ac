package executor_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/internal/executor"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// answering is a LinkedIn that gives one answer and counts calls.
type answering struct {
	resp  *plugin.Response
	err   error
	calls int
	token string
}

func (a *answering) Do(_ context.Context, c *plugin.Call, token string) (*plugin.Response, error) {
	a.calls++
	a.token = token
	return a.resp, a.err
}

type tokens struct{ err error }

func (t tokens) AccessToken(context.Context, *ps.Datasource) (ps.Access, error) {
	return ps.Access{Token: "AQV-token"}, t.err
}

func (t tokens) Rejected(context.Context, *ps.Datasource, ps.Access, string) (ps.Access, error) {
	return ps.Access{}, plugin.Errorf(plugin.AuthorizationRequired, "refused")
}

func newExecutor(t *testing.T, sender executor.Sender, tok executor.Tokens) *executor.Executor {
	t.Helper()
	cat, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	api, _ := url.Parse("https://api.linkedin.com")
	return &executor.Executor{Catalog: cat, Tokens: tok, Sender: sender,
		Settings: func(*ps.Datasource) plugin.Settings { return plugin.Settings{APIURL: api, Version: "202610"} }}
}

var ds = &ps.Datasource{ID: "ds1", Workspace: "acme", Plugin: "linkedin"}

const postParams = `{"author":"person:1","lifecycleState":"PUBLISHED","text":"Hi","visibility":"PUBLIC"}`

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestLinkedInAnswersMapToTheEnvelope(t *testing.T) {
	tests := []struct {
		name       string
		command    string
		resp       *plugin.Response
		code       plugin.Code
		output     string
		retryAfter int
	}{
		{"created id from the header", "createPost", &plugin.Response{Status: 201, Header: header("X-RestLi-Id", "urn:li:share:1", "Set-Cookie", "li=secret")}, "", `{"id":"urn:li:share:1"}`, 0},
		{"created id kept from the body", "createPost", &plugin.Response{Status: 201, Header: header("X-RestLi-Id", "urn:li:share:1"), Body: []byte(`{"id":"urn:li:share:2"}`)}, "", `{"id":"urn:li:share:2"}`, 0},
		{"created id added to the body", "createPost", &plugin.Response{Status: 201, Header: header("X-RestLi-Id", "urn:li:share:1"), Body: []byte(`{"a":1}`)}, "", `{"id":"urn:li:share:1","a":1}`, 0},
		{"read as it came", "getUserInfo", &plugin.Response{Status: 200, Header: header(), Body: []byte(`{"sub":"x","locale":{"country":"US","language":"en"}}`)}, "", `{"sub":"x","locale":{"country":"US","language":"en"}}`, 0},
		{"401 needs authorization", "getUserInfo", &plugin.Response{Status: 401, Header: header(), Body: []byte(`{"serviceErrorCode":65600,"code":"EXPIRED_ACCESS_TOKEN","message":"The token used in the request has expired","status":401}`)}, plugin.AuthorizationRequired, `{"serviceErrorCode":65600,"code":"EXPIRED_ACCESS_TOKEN","message":"The token used in the request has expired","status":401}`, 0},
		{"403 is LinkedIn's refusal", "getUserInfo", &plugin.Response{Status: 403, Header: header(), Body: []byte(`{"code":"ACCESS_DENIED","message":"Not enough permissions to access: userinfo.GET.NO_VERSION","status":403}`)}, plugin.LinkedInRejected, `{"code":"ACCESS_DENIED","message":"Not enough permissions to access: userinfo.GET.NO_VERSION","status":403}`, 0},
		{"422 keeps LinkedIn's body", "createPost", &plugin.Response{Status: 422, Header: header(), Body: []byte(`{"code":"DUPLICATE_POST","message":"Content is a duplicate of urn:li:share:1","status":422}`)}, plugin.LinkedInRejected, `{"code":"DUPLICATE_POST","message":"Content is a duplicate of urn:li:share:1","status":422}`, 0},
		{"429 with Retry-After", "getUserInfo", &plugin.Response{Status: 429, Header: header("Retry-After", "30")}, plugin.RateLimited, "", 30},
		{"5xx with an HTML page", "getUserInfo", &plugin.Response{Status: 502, Header: header(), Body: []byte("<html>Bad Gateway</html>")}, plugin.UpstreamUnavailable, `"<html>Bad Gateway</html>"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sender := &answering{resp: tt.resp}
			params := postParams
			if tt.command == "getUserInfo" {
				params = `{}`
			}
			env, err := newExecutor(t, sender, tokens{}).Execute(context.Background(), ds, executor.Request{Command: tt.command, Params: json.RawMessage(params)})
			if err != nil {
				t.Fatal(err)
			}
			if env.Status != tt.resp.Status {
				t.Errorf("status %d, want LinkedIn's %d", env.Status, tt.resp.Status)
			}
			if tt.code == "" && env.Error != nil || tt.code != "" && (env.Error == nil || env.Error.Code != tt.code) {
				t.Fatalf("error %+v, want %q", env.Error, tt.code)
			}
			if string(env.Output) != tt.output {
				t.Errorf("output %s, want %s", env.Output, tt.output)
			}
			if env.Error != nil && env.Error.RetryAfter != tt.retryAfter {
				t.Errorf("retry after %d, want %d", env.Error.RetryAfter, tt.retryAfter)
			}
			if _, ok := env.Headers["set-cookie"]; ok {
				t.Error("a cookie reached the envelope")
			}
			if sender.token != "AQV-token" {
				t.Errorf("sent with token %q", sender.token)
			}
		})
	}
}

func TestNothingIsSentWhen(t *testing.T) {
	tests := []struct {
		name   string
		req    executor.Request
		tokens executor.Tokens
		code   plugin.Code
	}{
		{"params fail the form", executor.Request{Command: "createPost", Params: json.RawMessage(`{"author":"x"}`)}, tokens{}, plugin.InvalidInput},
		{"the command is unknown", executor.Request{Command: "tweet"}, tokens{}, plugin.NotFound},
		{"the datasource is not authorized", executor.Request{Command: "getUserInfo"}, tokens{err: plugin.Errorf(plugin.AuthorizationRequired, "no token")}, plugin.AuthorizationRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sender := &answering{}
			env, _ := newExecutor(t, sender, tt.tokens).Execute(context.Background(), ds, tt.req)
			if env.Error == nil || env.Error.Code != tt.code || sender.calls != 0 {
				t.Fatalf("error %+v after %d calls, want %s and none", env.Error, sender.calls, tt.code)
			}
		})
	}
}

func TestDryRunRedactsAndSendsNothing(t *testing.T) {
	sender := &answering{}
	env, err := newExecutor(t, sender, tokens{err: plugin.Errorf(plugin.AuthorizationRequired, "not yet")}).
		Execute(context.Background(), ds, executor.Request{Command: "createPost", Params: json.RawMessage(postParams), DryRun: true})
	if err != nil || env.Error != nil || sender.calls != 0 || env.Status != 0 {
		t.Fatalf("dry run: %+v, %v, %d calls", env, err, sender.calls)
	}
	out := string(env.Output)
	for _, want := range []string{`"Authorization":"Bearer [REDACTED]"`, `"method":"POST"`, `"url":"https://api.linkedin.com/v2/ugcPosts"`, `"author":"urn:li:person:1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %s: %s", want, out)
		}
	}
	if strings.Contains(out, "AQV-token") {
		t.Fatal("the token is in the dry run")
	}
}

func TestTransportFailuresKeepTheirCode(t *testing.T) {
	for _, code := range []plugin.Code{plugin.UpstreamTimeout, plugin.UpstreamUnavailable} {
		sender := &answering{err: plugin.Errorf(code, "boom")}
		env, err := newExecutor(t, sender, tokens{}).Execute(context.Background(), ds, executor.Request{Command: "getUserInfo"})
		if err != nil || env.Error == nil || env.Error.Code != code || env.Status != 0 {
			t.Errorf("%s: %+v, %v", code, env.Error, err)
		}
	}
}
