package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"pluginserver/plugin/linkedin/sandbox"
)

// authorized starts an emulator and returns it with a token for scopes.
func authorized(t *testing.T, scopes string) (*httptest.Server, string) {
	t.Helper()
	srv, _ := start(t, sandbox.Options{})
	return srv, tokenFor(t, srv, scopes)
}

// start serves an emulator made with opts, its BaseURL and its clock (29
// November 2026) filled in.
func start(t *testing.T, opts sandbox.Options) (*httptest.Server, *sandbox.Sandbox) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	opts.BaseURL = "http://" + srv.Listener.Addr().String()
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC) }
	}
	s := sandbox.New(opts)
	srv.Config.Handler = s
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, s
}

// tokenFor authorizes the sandbox's app for scopes (space-separated) the
// way a browser would, and returns the access token.
func tokenFor(t *testing.T, srv *httptest.Server, scopes string) string {
	t.Helper()
	client, secret := sandbox.AppFor(strings.Fields(scopes))
	auth := srv.URL + "/oauth/v2/authorization?" + url.Values{"response_type": {"code"}, "client_id": {client},
		"redirect_uri": {"http://127.0.0.1/cb"}, "state": {"s"}, "scope": {scopes}}.Encode()
	back, err := sandbox.Consent(srv.Client().Transport, auth, true)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(srv.URL+"/oauth/v2/accessToken", url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
		"client_id": {client}, "client_secret": {secret}, "redirect_uri": {"http://127.0.0.1/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	if tok.AccessToken == "" || tok.Scope != strings.ReplaceAll(scopes, " ", ",") {
		t.Fatalf("token answer %+v", tok)
	}
	return tok.AccessToken
}

// TestAnswersLikeLinkedIn checks the emulator's refusals against the ones
// LinkedIn documents: status, code and message body.
func TestAnswersLikeLinkedIn(t *testing.T) {
	srv, token := authorized(t, "openid profile")
	const post = `{"author":"urn:li:person:782bbtaQ","lifecycleState":"PUBLISHED","specificContent":{"com.linkedin.ugc.ShareContent":{"shareCommentary":{"text":"hi"},"shareMediaCategory":"NONE"}},"visibility":{"com.linkedin.ugc.MemberNetworkVisibility":"PUBLIC"}}`
	tests := []struct {
		name, method, path, token, body string
		header                          map[string]string
		status                          int
		code                            string
	}{
		{"no token", "GET", "/v2/userinfo", "", "", nil, 401, "INVALID_ACCESS_TOKEN"},
		{"unknown token", "GET", "/v2/userinfo", "AQVnope", "", nil, 401, "INVALID_ACCESS_TOKEN"},
		{"userinfo", "GET", "/v2/userinfo", token, "", nil, 200, ""},
		{"post without w_member_social", "POST", "/v2/ugcPosts", token, post, map[string]string{"X-Restli-Protocol-Version": "2.0.0"}, 403, "ACCESS_DENIED"},
		{"no version", "GET", "/rest/images/urn%3Ali%3Aimage%3AX", token, "", map[string]string{"X-Restli-Protocol-Version": "2.0.0"}, 400, "VERSION_MISSING"},
		{"retired version", "GET", "/rest/images/urn%3Ali%3Aimage%3AX", token, "", map[string]string{"LinkedIn-Version": "202410", "X-Restli-Protocol-Version": "2.0.0"}, 426, "NONEXISTENT_VERSION"},
		{"future version", "GET", "/rest/images/urn%3Ali%3Aimage%3AX", token, "", map[string]string{"LinkedIn-Version": "202701", "X-Restli-Protocol-Version": "2.0.0"}, 426, "NONEXISTENT_VERSION"},
		{"unknown image", "GET", "/rest/images/urn%3Ali%3Aimage%3AX", token, "", map[string]string{"LinkedIn-Version": "202611", "X-Restli-Protocol-Version": "2.0.0"}, 404, "RESOURCE_NOT_FOUND"},
		{"unknown route", "GET", "/v2/nothing", token, "", nil, 404, "RESOURCE_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var body struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Status  int    `json:"status"`
			}
			json.Unmarshal(raw, &body)
			if resp.StatusCode != tt.status || body.Code != tt.code || (tt.code != "" && (body.Status != tt.status || body.Message == "")) {
				t.Fatalf("%d %s", resp.StatusCode, raw)
			}
		})
	}
}

func TestPostsAreCheckedLikeLinkedIn(t *testing.T) {
	srv, token := authorized(t, "openid w_member_social")
	send := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/v2/ugcPosts", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-RestLi-Id") + string(raw)
	}
	post := func(author, state, text, visibility string) string {
		return `{"author":"` + author + `","lifecycleState":"` + state + `","specificContent":{"com.linkedin.ugc.ShareContent":{"shareCommentary":{"text":"` + text + `"},"shareMediaCategory":"NONE"}},"visibility":{"com.linkedin.ugc.MemberNetworkVisibility":"` + visibility + `"}}`
	}
	tests := []struct {
		name, body string
		status     int
		contains   string
	}{
		{"created", post("urn:li:person:782bbtaQ", "PUBLISHED", "hello", "PUBLIC"), 201, "urn:li:share:"},
		{"duplicate", post("urn:li:person:782bbtaQ", "PUBLISHED", "hello", "PUBLIC"), 422, "DUPLICATE_POST"},
		{"bad lifecycle", post("urn:li:person:782bbtaQ", "published", "x", "PUBLIC"), 422, "/lifecycleState"},
		{"bad visibility", post("urn:li:person:782bbtaQ", "PUBLISHED", "x", "EVERYONE"), 422, "MemberNetworkVisibility"},
		{"empty text", post("urn:li:person:782bbtaQ", "PUBLISHED", "", "PUBLIC"), 422, "shareCommentary/text"},
		{"not a URN", post("person:782bbtaQ", "PUBLISHED", "x", "PUBLIC"), 422, "/author"},
		{"someone else", post("urn:li:person:123456789", "PUBLISHED", "x", "PUBLIC"), 403, "ACCESS_DENIED"},
		{"a page without the scope", post("urn:li:organization:1", "PUBLISHED", "x", "PUBLIC"), 403, "w_organization_social"},
		{"unknown field", `{"author":"urn:li:person:782bbtaQ","colour":"red"}`, 422, "colour"},
	}
	for _, tt := range tests {
		if status, body := send(tt.body); status != tt.status || !strings.Contains(body, tt.contains) {
			t.Errorf("%s: %d %s", tt.name, status, body)
		}
	}
}
