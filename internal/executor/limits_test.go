package executor_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	ps "pluginserver"
	"pluginserver/internal/executor"
	"pluginserver/internal/quota"
	"pluginserver/plugin"
)

// routed is a LinkedIn that answers 429 with a body to the routes told,
// 200 to the others, and counts the calls per route ("POST /v2/ugcPosts").
type routed struct {
	mu    sync.Mutex
	limit map[string]string
	calls map[string]int
}

func (r *routed) Do(_ context.Context, c *plugin.Call, _ string) (*plugin.Response, error) {
	route := c.Method + " " + c.URL.Path
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[route]++
	if body, ok := r.limit[route]; ok {
		delete(r.limit, route)
		return &plugin.Response{Status: http.StatusTooManyRequests, Header: http.Header{}, Body: []byte(body), Call: c}, nil
	}
	return &plugin.Response{Status: http.StatusOK, Header: http.Header{}, Body: []byte(`{"sub":"ann","id":"urn:li:share:1"}`), Call: c}, nil
}

func (r *routed) sent(route string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[route]
}

func memberOf(id, sub string) *ps.Datasource {
	return &ps.Datasource{ID: id, Workspace: "acme", Plugin: "linkedin", Token: &ps.Token{Member: &ps.Member{Sub: sub}}}
}

// TestLimitsArePerEndpoint: a 429 pauses the endpoint it answered, for
// whom LinkedIn's message says, and nothing else; a route the plugin does
// not know keeps a limit of its own.
func TestLimitsArePerEndpoint(t *testing.T) {
	const (
		memberDay = `{"status":429,"message":"Resource level throttle APPLICATION_AND_MEMBER DAY limit for calls to this resource is reached."}`
		appDay    = `{"status":429,"message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}`
		unnamed   = `{"status":429,"message":"Resource level throttle limit for calls to this resource is reached."}`
	)
	post := executor.Request{Command: "createPost", Params: json.RawMessage(postParams)}
	read := executor.Request{Command: "getUserInfo"}
	custom := executor.Request{Command: "customAction", Params: json.RawMessage(`{"method":"POST","path":"/v2/somethingNew","body":{}}`)}
	type run struct {
		ds     string // "ds" (the one that got the 429), "same" (same member and app), "other" (another member), "otherApp"
		req    executor.Request
		route  string
		paused bool
	}
	cases := []struct {
		name     string
		first    executor.Request
		route    string
		body     string
		scope    string
		endpoint string
		then     []run
	}{
		{"the member's daily limit of posting", post, "POST /v2/ugcPosts", memberDay, "member", "POST /v2/ugcPosts", []run{
			{"ds", post, "POST /v2/ugcPosts", true}, {"ds", read, "GET /v2/userinfo", false},
			{"same", post, "POST /v2/ugcPosts", true}, {"other", post, "POST /v2/ugcPosts", false},
			{"otherApp", post, "POST /v2/ugcPosts", false}, {"ds", custom, "POST /v2/somethingNew", false}}},
		{"the app's daily limit of posting", post, "POST /v2/ugcPosts", appDay, "app", "POST /v2/ugcPosts", []run{
			{"ds", post, "POST /v2/ugcPosts", true}, {"other", post, "POST /v2/ugcPosts", true},
			{"other", read, "GET /v2/userinfo", false}, {"otherApp", post, "POST /v2/ugcPosts", false}}},
		{"a short pause of posting", post, "POST /v2/ugcPosts", unnamed, "datasource", "POST /v2/ugcPosts", []run{
			{"ds", post, "POST /v2/ugcPosts", true}, {"ds", read, "GET /v2/userinfo", false},
			{"same", post, "POST /v2/ugcPosts", false}}},
		{"a route the plugin does not know", custom, "POST /v2/somethingNew", memberDay, "member", executor.UnknownEndpoint, []run{
			{"ds", custom, "POST /v2/somethingNew", true}, {"ds", post, "POST /v2/ugcPosts", false},
			{"ds", read, "GET /v2/userinfo", false}}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			sender := &routed{limit: map[string]string{tt.route: tt.body}, calls: map[string]int{}}
			e := newExecutor(t, sender, tokens{})
			e.Quota, e.Now = quota.New(clock, 0), clock
			e.AppOf = func(d *ps.Datasource) string {
				if d.ID == "otherApp" {
					return "app2"
				}
				return "app1"
			}
			sources := map[string]*ps.Datasource{"ds": memberOf("ds", "ann"), "same": memberOf("same", "ann"), "other": memberOf("other", "bob"), "otherApp": memberOf("otherApp", "ann")}

			env, _ := e.Execute(context.Background(), sources["ds"], tt.first)
			if env.Error == nil || env.Error.Code != plugin.RateLimited || env.Status != 429 {
				t.Fatalf("LinkedIn's 429: %+v", env)
			}
			limits := e.Limits(context.Background(), sources["ds"])
			if limits == nil || len(*limits) != 1 || (*limits)[0].Scope != tt.scope || (*limits)[0].Endpoint != tt.endpoint {
				t.Fatalf("limits %+v, want one of %s on %s", limits, tt.scope, tt.endpoint)
			}
			for _, r := range tt.then {
				before := sender.sent(r.route)
				env, _ := e.Execute(context.Background(), sources[r.ds], r.req)
				sent := sender.sent(r.route) - before
				switch {
				case r.paused && (sent != 0 || env.Error == nil || env.Error.Code != plugin.RateLimited ||
					!strings.Contains(env.Error.Message, "this call was not sent") || !strings.Contains(env.Error.Message, "2026-11-30T00:00:00Z") && tt.scope != "datasource"):
					t.Errorf("%s %s: %+v after %d calls, want it refused unsent", r.ds, r.route, env.Error, sent)
				case !r.paused && (sent != 1 || env.Error != nil && env.Error.Code == plugin.RateLimited):
					t.Errorf("%s %s: %+v after %d calls, want it sent", r.ds, r.route, env.Error, sent)
				}
				if r.paused && tt.endpoint != executor.UnknownEndpoint && !strings.Contains(env.Error.Message, tt.endpoint) {
					t.Errorf("the refusal %q does not name the endpoint", env.Error.Message)
				}
			}
		})
	}
}
