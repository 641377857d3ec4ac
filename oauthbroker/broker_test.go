package oauthbroker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"pluginserver/internal/testclock"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	ps "pluginserver"
	"pluginserver/internal/store/sqlite"
	"pluginserver/internal/store/storetest"
	"pluginserver/oauthbroker"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
	"pluginserver/plugin/linkedin/sandbox"
)

type fixture struct {
	broker *oauthbroker.Broker
	store  *sqlite.Store
	dbPath string
	fake   *httptest.Server
	clock  *testclock.Clock
	ds     *ps.Datasource
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := testclock.New(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	fake := httptest.NewUnstartedServer(nil)
	fake.Config.Handler = sandbox.New(sandbox.Options{BaseURL: "http://" + fake.Listener.Addr().String(), Now: clk.Now})
	fake.Start()
	t.Cleanup(fake.Close)
	dbPath := filepath.Join(t.TempDir(), "plugin-server.db")
	st, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := oauthbroker.NewSealer(bytes.Repeat([]byte{1}, oauthbroker.KeySize))
	b := &oauthbroker.Broker{
		Store: st, Sealer: sealer,
		Endpoints: oauthbroker.Endpoints{AuthURL: fake.URL + "/oauth/v2/authorization", TokenURL: fake.URL + "/oauth/v2/accessToken",
			RevokeURL: fake.URL + "/oauth/v2/revoke", APIURL: fake.URL},
		App:         oauthbroker.App{ClientID: sandbox.ClientID, ClientSecret: sandbox.ClientSecret},
		RedirectURL: "http://127.0.0.1:8080/oauth/callback", ReturnOrigins: []string{"https://app.example"},
		HTTPClient: fake.Client(), Now: clk.Now, Log: zerolog.Nop(), Auth: linkedInAuth, AppKinds: linkedin.Plugin().AppKinds,
	}
	api, _ := url.Parse(fake.URL)
	b.Identify = oauthbroker.IdentifyWith(linkedin.Plugin(), plugin.Settings{APIURL: api}, fake.Client())
	ds := storetest.NewDatasource("acme", "ds1")
	ds.Config = json.RawMessage(`{"scopes":["openid","profile","email","w_member_social"]}`)
	if err := st.CreateDatasource(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	return &fixture{broker: b, store: st, dbPath: dbPath, fake: fake, clock: clk, ds: ds}
}

// consent starts an authorization and answers LinkedIn's page with
// decision, returning the query LinkedIn sends back to the callback.
func (f *fixture) consent(t *testing.T, returnURL, decision string) url.Values {
	t.Helper()
	authURL, _, err := f.broker.Authorize(context.Background(), f.ds, returnURL)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	if q.Get("response_type") != "code" || q.Get("redirect_uri") != f.broker.RedirectURL || q.Get("scope") != "openid profile email w_member_social" || len(q.Get("state")) < 22 {
		t.Fatalf("authorization URL %s", authURL)
	}
	loc, err := sandbox.Consent(f.fake.Client().Transport, authURL, decision == "approve")
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query()
}

func (f *fixture) token(t *testing.T) *ps.Token {
	t.Helper()
	d, err := f.store.Datasource(context.Background(), "acme", "ds1")
	if err != nil {
		t.Fatal(err)
	}
	return d.Token
}

func TestAuthorizeAndCallback(t *testing.T) {
	f := newFixture(t)
	q := f.consent(t, "https://app.example/back?tab=ds", "approve")
	o := f.broker.Callback(context.Background(), q)
	if o.Error != "" {
		t.Fatalf("callback failed: %s %s", o.Error, o.Message)
	}
	if got := o.RedirectURL(); got != "https://app.example/back?datasourceId=ds1&status=authorized&tab=ds" {
		t.Fatalf("redirect %s", got)
	}
	tok := f.token(t)
	if tok == nil || strings.Join(tok.Scopes, " ") != "openid profile email w_member_social" || tok.Member.Sub != "782bbtaQ" ||
		!tok.ExpiresAt.Equal(f.clock.Now().Add(60*24*time.Hour)) || tok.Refresh != nil {
		t.Fatalf("stored token %+v", tok)
	}
	d, _ := f.store.Datasource(context.Background(), "acme", "ds1")
	opened, err := f.broker.AccessToken(context.Background(), d)
	access := opened.Token
	if err != nil || !strings.HasPrefix(access, "AQV") {
		t.Fatalf("AccessToken = %q, %v", access, err)
	}

	// The state is single-use.
	if o := f.broker.Callback(context.Background(), q); o.Error != "invalid_state" {
		t.Fatalf("reused state: %+v", o)
	}

	// The token on disk is sealed: not in the file, not opened by another key.
	f.store.Close()
	for _, name := range []string{f.dbPath, f.dbPath + "-wal"} {
		raw, _ := os.ReadFile(name)
		if bytes.Contains(raw, []byte(access)) {
			t.Fatalf("%s holds the access token in clear", name)
		}
	}
	st, err := sqlite.Open(context.Background(), f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err = st.Datasource(context.Background(), "acme", "ds1")
	if err != nil || d.Token == nil {
		t.Fatalf("token lost on reopen: %v", err)
	}
	if got, err := f.broker.AccessToken(context.Background(), d); err != nil || got.Token != access {
		t.Fatalf("after reopen: %q, %v", got.Token, err)
	}
	wrongKey, _ := oauthbroker.NewSealer(bytes.Repeat([]byte{2}, oauthbroker.KeySize))
	other := &oauthbroker.Broker{Store: f.broker.Store, Sealer: wrongKey, Now: f.broker.Now}
	if got, err := other.AccessToken(context.Background(), d); err == nil || got.Token != "" {
		t.Fatalf("another key opened the token: %q", got.Token)
	}
}

func TestCallbackFailuresStoreNothing(t *testing.T) {
	const back = "https://app.example/back"
	tests := []struct {
		name   string
		query  func(t *testing.T, f *fixture) url.Values
		reason string
	}{
		{"cancelled on LinkedIn's page", func(t *testing.T, f *fixture) url.Values {
			return f.consent(t, back, "cancel")
		}, "user_cancelled_authorize"},
		{"cancelled the login", func(t *testing.T, f *fixture) url.Values {
			q := f.consent(t, back, "approve")
			return url.Values{"state": q["state"], "error": {"user_cancelled_login"}, "error_description": {"The user cancelled LinkedIn login"}}
		}, "user_cancelled_login"},
		{"access denied", func(t *testing.T, f *fixture) url.Values {
			q := f.consent(t, back, "approve")
			return url.Values{"state": q["state"], "error": {"access_denied"}, "error_description": {"The member denied access"}}
		}, "access_denied"},
		{"an error LinkedIn does not document", func(t *testing.T, f *fixture) url.Values {
			q := f.consent(t, back, "approve")
			return url.Values{"state": q["state"], "error": {"server_error"}}
		}, "authorization_failed"},
		{"state expired", func(t *testing.T, f *fixture) url.Values {
			q := f.consent(t, back, "approve")
			f.clock.Advance(oauthbroker.StateTTL + time.Second)
			return q
		}, "expired_state"},
		{"unknown state", func(t *testing.T, f *fixture) url.Values {
			q := f.consent(t, back, "approve")
			q.Set("state", q.Get("state")+"x")
			return q
		}, "invalid_state"},
		{"no code", func(t *testing.T, f *fixture) url.Values {
			q := f.consent(t, back, "approve")
			q.Del("code")
			return q
		}, "missing_code"},
		{"code LinkedIn refuses", func(t *testing.T, f *fixture) url.Values {
			q := f.consent(t, back, "approve")
			q.Set("code", "AQ-forged")
			return q
		}, "token_exchange_failed"},
		{"wrong client secret", func(t *testing.T, f *fixture) url.Values {
			f.broker.App.ClientSecret = "wrong"
			return f.consent(t, back, "approve")
		}, "token_exchange_failed"},
		{"token endpoint answers 200 with garbage", func(t *testing.T, f *fixture) url.Values {
			garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"access_tok`))
			}))
			t.Cleanup(garbage.Close)
			f.broker.Endpoints.TokenURL = garbage.URL
			return f.consent(t, back, "approve")
		}, "token_exchange_failed"},
		{"token endpoint answers 500 with a page", func(t *testing.T, f *fixture) url.Values {
			garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte("<html>upstream error</html>"))
			}))
			t.Cleanup(garbage.Close)
			f.broker.Endpoints.TokenURL = garbage.URL
			return f.consent(t, back, "approve")
		}, "token_exchange_failed"},
		{"datasource deleted meanwhile", func(t *testing.T, f *fixture) url.Values {
			q := f.consent(t, back, "approve")
			// Deleting a datasource drops its pending states too.
			f.store.DeleteDatasource(context.Background(), "acme", "ds1")
			return q
		}, "invalid_state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			o := f.broker.Callback(context.Background(), tt.query(t, f))
			if o.Error != tt.reason || o.Message == "" {
				t.Fatalf("outcome %+v, want reason %s", o, tt.reason)
			}
			// Where the state was ours, the browser goes back to the app
			// with the reason; an unknown state is never redirected.
			redirect, _ := url.Parse(o.RedirectURL())
			if tt.reason == "invalid_state" {
				if o.RedirectURL() != "" {
					t.Fatalf("redirected on an unknown state: %s", o.RedirectURL())
				}
			} else if redirect.Host != "app.example" || redirect.Query().Get("status") != "error" || redirect.Query().Get("error") != tt.reason || redirect.Query().Get("message") == "" {
				t.Fatalf("redirect %s", o.RedirectURL())
			}
			if d, err := f.store.Datasource(context.Background(), "acme", "ds1"); err == nil && d.Token != nil {
				t.Fatalf("a failed callback stored a token")
			}
		})
	}
}

func TestReturnURLMustBeAllowed(t *testing.T) {
	f := newFixture(t)
	for _, bad := range []string{"javascript:alert(1)", "https://evil.test/back", "//evil.test/back", "/relative", "https://user@app.example/", "https://app.example.evil.test/", "http://app.example/"} {
		_, _, err := f.broker.Authorize(context.Background(), f.ds, bad)
		if e := plugin.AsError(err); err == nil || e.Code != plugin.InvalidInput || e.Fields[0].Field != "returnUrl" {
			t.Errorf("returnUrl %q: err = %v", bad, err)
		}
	}
}

func TestAccessTokenExpired(t *testing.T) {
	f := newFixture(t)
	if o := f.broker.Callback(context.Background(), f.consent(t, "", "approve")); o.Error != "" {
		t.Fatal(o.Message)
	}
	d, _ := f.store.Datasource(context.Background(), "acme", "ds1")
	f.clock.Advance(60*24*time.Hour + time.Second)
	_, err := f.broker.AccessToken(context.Background(), d)
	if e := plugin.AsError(err); e.Code != plugin.AuthorizationRequired || !strings.Contains(e.Message, "expired") {
		t.Fatalf("expired token: %v", err)
	}
}

func TestDisconnectRevokes(t *testing.T) {
	f := newFixture(t)
	if o := f.broker.Callback(context.Background(), f.consent(t, "", "approve")); o.Error != "" {
		t.Fatal(o.Message)
	}
	d, _ := f.store.Datasource(context.Background(), "acme", "ds1")
	opened, _ := f.broker.AccessToken(context.Background(), d)
	if warning, err := f.broker.Disconnect(context.Background(), d); err != nil || warning != "" {
		t.Fatal(warning, err)
	}
	if f.token(t) != nil {
		t.Fatal("token kept after disconnect")
	}
	req, _ := http.NewRequest("GET", f.fake.URL+"/v2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+opened.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token still works at LinkedIn: %d", resp.StatusCode)
	}
}

func TestDisconnectForgetsEvenWhenLinkedInCannotBeTold(t *testing.T) {
	f := newFixture(t)
	if o := f.broker.Callback(context.Background(), f.consent(t, "", "approve")); o.Error != "" {
		t.Fatal(o.Message)
	}
	d, _ := f.store.Datasource(context.Background(), "acme", "ds1")
	f.broker.Endpoints.RevokeURL = f.fake.URL + "/no-such-endpoint"
	warning, err := f.broker.Disconnect(context.Background(), d)
	if err != nil || !strings.Contains(warning, "HTTP 404") {
		t.Fatalf("warning %q, err %v", warning, err)
	}
	if f.token(t) != nil {
		t.Fatal("token kept when the revocation failed")
	}
}

// TestStatesLandOnTheirOwnDatasource: a state names its datasource, so two
// authorizations completed out of order each land where they started.
func TestStatesLandOnTheirOwnDatasource(t *testing.T) {
	f := newFixture(t)
	second := storetest.NewDatasource("other", "ds2")
	second.Config = f.ds.Config
	if err := f.store.CreateDatasource(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	first := f.consent(t, "", "approve")
	f.ds = second
	later := f.consent(t, "", "approve")
	for _, q := range []url.Values{later, first} {
		if o := f.broker.Callback(context.Background(), q); o.Error != "" {
			t.Fatal(o.Message)
		}
	}
	a, _ := f.store.Datasource(context.Background(), "acme", "ds1")
	b, _ := f.store.Datasource(context.Background(), "other", "ds2")
	if a.Token == nil || b.Token == nil {
		t.Fatal("an authorization landed elsewhere")
	}
	ta, _ := f.broker.AccessToken(context.Background(), a)
	tb, _ := f.broker.AccessToken(context.Background(), b)
	if ta.Token == tb.Token {
		t.Fatal("two datasources share a token")
	}
	// A state taken for one datasource cannot be replayed for any other.
	if o := f.broker.Callback(context.Background(), first); o.Error != "invalid_state" {
		t.Fatalf("replayed state: %+v", o)
	}
}

// linkedInAuth reads a datasource's config as the server does, through the
// LinkedIn plugin's declaration.
func linkedInAuth(ds *ps.Datasource) plugin.AuthConfig { return linkedin.Plugin().Auth(ds.Config) }

// Both kinds of LinkedIn app authorize: a Community Management app, which
// has no OpenID Connect, reads its member from the profile; and a scope the
// app may not ask for comes back naming it and what to change.
func TestAppKinds(t *testing.T) {
	community := `{"scopes":["r_basicprofile","w_member_social","w_organization_social","r_organization_social","rw_organization_admin"]}`
	for _, tt := range []struct {
		name, clientID, secret, config string
		// member is who the token is stored as; else refused is the
		// message's start.
		member, refused string
	}{
		{name: "self-serve", clientID: sandbox.ClientID, secret: sandbox.ClientSecret, config: `{"scopes":["openid","profile","w_member_social"]}`, member: "782bbtaQ"},
		{name: "community", clientID: sandbox.CommunityClientID, secret: sandbox.CommunityClientSecret, config: community, member: "782bbtaQ"},
		{name: "openid on a community app", clientID: sandbox.CommunityClientID, secret: sandbox.CommunityClientSecret,
			config:  `{"scopes":["openid","profile","w_organization_social"]}`,
			refused: "LinkedIn refused the scope openid: the datasource's LinkedIn app does not have the product that grants it. It is granted by a Self-serve app"},
		{name: "pages on a self-serve app", clientID: sandbox.ClientID, secret: sandbox.ClientSecret, config: community,
			refused: "LinkedIn refused the scope r_basicprofile"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.broker.App = oauthbroker.App{ClientID: tt.clientID, ClientSecret: tt.secret}
			f.ds.Config = json.RawMessage(tt.config)
			authURL, _, err := f.broker.Authorize(context.Background(), f.ds, "https://app.example/back")
			if err != nil {
				t.Fatal(err)
			}
			// LinkedIn refuses a scope before its consent page: the
			// browser goes straight back.
			client := &http.Client{Transport: f.fake.Client().Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(authURL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var q url.Values
			if resp.StatusCode == http.StatusFound {
				loc, _ := resp.Location()
				q = loc.Query()
			} else {
				loc, err := sandbox.Consent(f.fake.Client().Transport, authURL, true)
				if err != nil {
					t.Fatal(err)
				}
				q = loc.Query()
			}
			o := f.broker.Callback(context.Background(), q)
			if tt.refused != "" {
				back, _ := url.Parse(o.RedirectURL())
				if o.Error != "unauthorized_scope_error" || !strings.HasPrefix(o.Message, tt.refused) || !strings.Contains(o.Message, "Authorize again") ||
					back.Query().Get("message") != o.Message || f.token(t) != nil {
					t.Fatalf("outcome %+v, redirect %s", o, o.RedirectURL())
				}
				return
			}
			if o.Error != "" {
				t.Fatalf("callback: %s %s", o.Error, o.Message)
			}
			if tok := f.token(t); tok == nil || tok.Member == nil || tok.Member.Sub != tt.member || tok.Member.Name != "John Doe" {
				t.Fatalf("stored token %+v", tok)
			}
		})
	}
}
