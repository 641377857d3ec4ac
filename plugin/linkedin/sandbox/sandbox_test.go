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

// tokenFor authorizes the sandbox's member for scopes (space-separated)
// on the sandbox's app that may ask for them, the way a browser would, and
// returns the access token.
func tokenFor(t *testing.T, srv *httptest.Server, scopes string) string {
	t.Helper()
	token, err := sandbox.Token(srv.Client().Transport, srv.URL, strings.Fields(scopes)...)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// TestAnswersLikeLinkedIn checks the emulator's refusals against the ones
// LinkedIn documents: status, code and message body.
func TestAnswersLikeLinkedIn(t *testing.T) {
	srv, token := authorized(t, "openid profile")
	// Reading a media status takes a social permission (w_member_social
	// reads the uploader's own); openid and profile read only the member.
	media := tokenFor(t, srv, "openid w_member_social")
	profile := tokenFor(t, srv, "r_basicprofile")
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
		{"userinfo without openid", "GET", "/v2/userinfo", profile, "", nil, 403, "ACCESS_DENIED"},
		{"me", "GET", "/v2/me", profile, "", nil, 200, ""},
		{"me without r_basicprofile", "GET", "/v2/me", token, "", nil, 403, "ACCESS_DENIED"},
		{"image without a social scope", "GET", "/rest/images/urn%3Ali%3Aimage%3AX", token, "", map[string]string{"LinkedIn-Version": "202611", "X-Restli-Protocol-Version": "2.0.0"}, 403, "ACCESS_DENIED"},
		{"no version", "GET", "/rest/images/urn%3Ali%3Aimage%3AX", media, "", map[string]string{"X-Restli-Protocol-Version": "2.0.0"}, 400, "VERSION_MISSING"},
		{"retired version", "GET", "/rest/images/urn%3Ali%3Aimage%3AX", media, "", map[string]string{"LinkedIn-Version": "202410", "X-Restli-Protocol-Version": "2.0.0"}, 426, "NONEXISTENT_VERSION"},
		{"future version", "GET", "/rest/images/urn%3Ali%3Aimage%3AX", media, "", map[string]string{"LinkedIn-Version": "202701", "X-Restli-Protocol-Version": "2.0.0"}, 426, "NONEXISTENT_VERSION"},
		{"unknown image", "GET", "/rest/images/urn%3Ali%3Aimage%3AX", media, "", map[string]string{"LinkedIn-Version": "202611", "X-Restli-Protocol-Version": "2.0.0"}, 404, "RESOURCE_NOT_FOUND"},
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

// TestMe: /v2/me, the Profile API a Community Management app reads its
// member from, answers with r_basicprofile and refuses a token without it.
func TestMe(t *testing.T) {
	srv, token := authorized(t, "r_basicprofile")
	get := func(token string) (int, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+"/v2/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}
	status, raw := get(token)
	var me struct {
		ID                 string `json:"id"`
		LocalizedFirstName string `json:"localizedFirstName"`
		LocalizedLastName  string `json:"localizedLastName"`
	}
	if err := json.Unmarshal(raw, &me); err != nil || status != 200 || me.ID != sandbox.Member["sub"] ||
		me.LocalizedFirstName != sandbox.Member["given_name"] || me.LocalizedLastName != sandbox.Member["family_name"] {
		t.Errorf("with r_basicprofile: %d %s", status, raw)
	}
	for _, scopes := range []string{"openid profile email w_member_social", "w_member_social w_organization_social r_organization_social rw_organization_admin"} {
		status, raw := get(tokenFor(t, srv, scopes))
		if status != 403 || !strings.Contains(string(raw), `"code":"ACCESS_DENIED"`) {
			t.Errorf("with %s: %d %s", scopes, status, raw)
		}
	}
}

// TestConsentRefusesScopesTheAppLacks: asking an app for a scope its kind
// of app is never granted (openid on the Community Management app, a page
// scope on a self-serve one) is answered on the authorization page by a
// redirect back to the app with unauthorized_scope_error, the state kept
// and no code; the Allow button answers the same.
func TestConsentRefusesScopesTheAppLacks(t *testing.T) {
	srv, _ := start(t, sandbox.Options{})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct{ name, client, scope, refused string }{
		{"openid on sandbox-community", sandbox.CommunityClientID, "openid r_basicprofile w_member_social", "openid"},
		{"profile on sandbox-community", sandbox.CommunityClientID, "r_basicprofile profile", "profile"},
		{"a page scope on sandbox-client", sandbox.ClientID, "openid w_organization_social", "w_organization_social"},
		{"r_basicprofile on sandbox-partner", sandbox.PartnerClientID, "openid r_basicprofile", "r_basicprofile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := srv.URL + "/oauth/v2/authorization?" + url.Values{"response_type": {"code"}, "client_id": {tt.client},
				"redirect_uri": {"http://127.0.0.1/cb?app=1"}, "state": {"st-42"}, "scope": {tt.scope}}.Encode()
			check := func(t *testing.T, back *url.URL) {
				t.Helper()
				q := back.Query()
				want := `Scope "` + tt.refused + `" is not authorized for your application`
				if back.Host != "127.0.0.1" || back.Path != "/cb" || q.Get("app") != "1" || q.Get("error") != "unauthorized_scope_error" ||
					q.Get("error_description") != want || q.Get("state") != "st-42" || q.Has("code") {
					t.Errorf("back to %s, want error=unauthorized_scope_error, error_description=%q, state=st-42, no code", back, want)
				}
			}
			resp, err := noFollow.Get(auth)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("authorization page: %d, want 302", resp.StatusCode)
			}
			back, err := resp.Location()
			if err != nil {
				t.Fatal(err)
			}
			check(t, back)
			back, err = sandbox.Consent(srv.Client().Transport, auth, true)
			if err != nil {
				t.Fatal(err)
			}
			check(t, back)
		})
	}
	t.Run("scopes the app may ask for", func(t *testing.T) {
		for client, scope := range map[string]string{sandbox.CommunityClientID: "r_basicprofile w_member_social r_member_social", sandbox.ClientID: "openid profile email w_member_social"} {
			auth := srv.URL + "/oauth/v2/authorization?" + url.Values{"response_type": {"code"}, "client_id": {client},
				"redirect_uri": {"http://127.0.0.1/cb"}, "state": {"s"}, "scope": {scope}}.Encode()
			resp, err := noFollow.Get(auth)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s for %s: %d, want the consent page", client, scope, resp.StatusCode)
			}
		}
	})
}
