package app_test

import (
	"io"
	"net"
	"net/http"
	"pluginserver/internal/testclock"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"pluginserver/internal/app"
)

// TestAgainstARealOAuthServer runs the authorization-code dance and a
// refresh against mockoidc, an OAuth 2.0 server someone else wrote, started
// on loopback: through /oauth/callback as a browser would go.
func TestAgainstARealOAuthServer(t *testing.T) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	// mockoidc writes expires_in in nanoseconds; 3600 of them read as the
	// hour a token endpoint means by 3600.
	m.AccessTTL = 3600
	var mu sync.Mutex
	grants := map[string]int{}
	m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/token") {
				r.ParseForm()
				mu.Lock()
				grants[r.PostForm.Get("grant_type")]++
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	cfg := m.Config()
	clk := testclock.New(time.Now().Truncate(time.Millisecond))
	h := startHarness(t, map[string]string{
		"LINKEDIN_CLIENT_ID": cfg.ClientID, "LINKEDIN_CLIENT_SECRET": cfg.ClientSecret,
		"LINKEDIN_AUTH_URL": m.AuthorizationEndpoint(), "LINKEDIN_TOKEN_URL": m.TokenEndpoint(),
		"LINKEDIN_API_URL": m.Issuer(),
	}, app.Options{Now: clk.Now})

	_, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"OIDC","config":{"scopes":["openid","profile","email"]}}`)
	id := ds["id"].(string)
	_, auth := h.do("POST", "/v1/datasources/"+id+"/authorize", admin, ``)
	resp, err := http.Get(auth["authorizationUrl"].(string)) // follows mockoidc's redirect to /oauth/callback
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "LinkedIn connected") || !strings.HasSuffix(resp.Request.URL.Path, "/oauth/callback") {
		t.Fatalf("callback page %d at %s: %s", resp.StatusCode, resp.Request.URL, page)
	}
	_, ds = h.do("GET", "/v1/datasources/"+id, admin, "")
	expires, _ := time.Parse(time.RFC3339, ds["tokenExpiresAt"].(string))
	if ds["authStatus"] != "authorized" || ds["refreshable"] != true || strings.Join(toStrings(ds["scopes"]), " ") != "openid profile email" ||
		expires.Sub(clk.Now()) != time.Hour || grants["authorization_code"] != 1 {
		t.Fatalf("after the dance: %v (grants %v)", ds, grants)
	}

	clk.Advance(55 * time.Minute) // within the refresh margin
	h.do("POST", "/v1/datasources/"+id+"/test", builder, "")
	_, ds = h.do("GET", "/v1/datasources/"+id, admin, "")
	renewed, _ := time.Parse(time.RFC3339, ds["tokenExpiresAt"].(string))
	if grants["refresh_token"] != 1 || renewed.Sub(clk.Now()) != time.Hour || ds["authStatus"] != "authorized" || ds["refreshable"] != true {
		t.Fatalf("after the refresh: %v (grants %v)", ds, grants)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}
