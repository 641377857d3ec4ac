package oauthbroker_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ps "pluginserver"
	"pluginserver/internal/store/sqlite"
	"pluginserver/oauthbroker"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin/sandbox"
)

// recorder keeps the events the broker publishes.
type recorder struct {
	mu     sync.Mutex
	events []oauthbroker.Event
}

func (r *recorder) Publish(_ context.Context, e oauthbroker.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

// partner is a fixture whose app gets refresh tokens, authorized already.
func partner(t *testing.T) (*fixture, *recorder) {
	t.Helper()
	f := newFixture(t)
	f.broker.App = oauthbroker.App{ClientID: sandbox.PartnerClientID, ClientSecret: sandbox.PartnerClientSecret}
	events := &recorder{}
	f.broker.Events = events
	if o := f.broker.Callback(context.Background(), f.consent(t, "", "approve")); o.Error != "" {
		t.Fatal(o.Message)
	}
	return f, events
}

func (f *fixture) datasource(t *testing.T) *ps.Datasource {
	t.Helper()
	d, err := f.store.Datasource(context.Background(), "acme", "ds1")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// refreshes counts the refresh requests LinkedIn received.
func (f *fixture) refreshes() int {
	n := 0
	for _, r := range f.fake.Config.Handler.(*sandbox.Sandbox).Requests() {
		if r.Path == "/oauth/v2/accessToken" && strings.Contains(r.Body, "grant_type=refresh_token") {
			n++
		}
	}
	return n
}

func TestRefreshBeforeExpiry(t *testing.T) {
	f, events := partner(t)
	d := f.datasource(t)
	if !d.Token.Refreshable(f.clock.Now()) || d.Token.RefreshExpiresAt.IsZero() {
		t.Fatalf("partner token not refreshable: %+v", d.Token)
	}
	before, _ := f.broker.AccessToken(context.Background(), d)
	if f.refreshes() != 0 {
		t.Fatal("a fresh token was refreshed")
	}
	f.clock.Advance(60*24*time.Hour - 5*time.Minute) // within the 10-minute margin
	after, err := f.broker.AccessToken(context.Background(), d)
	if err != nil || after.Token == before.Token || after.Version != before.Version+1 || f.refreshes() != 1 {
		t.Fatalf("refresh: %v, %d refreshes", err, f.refreshes())
	}
	saved := f.datasource(t)
	if got, _ := f.broker.AccessToken(context.Background(), saved); got.Token != after.Token {
		t.Fatal("the new token was not saved before it was handed out")
	}
	if string(saved.Token.Refresh) != string(d.Token.Refresh) || !saved.Token.RefreshExpiresAt.Equal(d.Token.RefreshExpiresAt) ||
		!saved.Token.ExpiresAt.Equal(f.clock.Now().Add(60*24*time.Hour)) || saved.Token.Member.Sub != "782bbtaQ" {
		t.Fatalf("refreshed token %+v, was %+v", saved.Token, d.Token)
	}
	if got := strings.Join(events.types(), ","); got != "authorized,refreshed" {
		t.Fatalf("events %s", got)
	}
}

func TestConcurrentCallersRefreshOnce(t *testing.T) {
	f, _ := partner(t)
	d := f.datasource(t)
	f.clock.Advance(60*24*time.Hour - time.Minute)
	tokens := callConcurrently(t, 200, func() (ps.Access, error) { return f.broker.AccessToken(context.Background(), d) })
	if len(tokens) != 1 || f.refreshes() != 1 {
		t.Fatalf("%d distinct tokens, %d refresh requests; want 1 and 1", len(tokens), f.refreshes())
	}
}

// TestTwoProcessesRefreshOnce: two brokers with their own connections to
// one SQLite file, as two replicas would be.
func TestTwoProcessesRefreshOnce(t *testing.T) {
	f, _ := partner(t)
	other, err := sqlite.Open(context.Background(), f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	second := &oauthbroker.Broker{Store: other, Sealer: f.broker.Sealer, Endpoints: f.broker.Endpoints, App: f.broker.App, Auth: f.broker.Auth,
		RedirectURL: f.broker.RedirectURL, HTTPClient: f.broker.HTTPClient, Now: f.clock.Now, Log: f.broker.Log}
	d := f.datasource(t)
	f.clock.Advance(60*24*time.Hour - time.Minute)
	var n int
	var mu sync.Mutex
	tokens := callConcurrently(t, 200, func() (ps.Access, error) {
		mu.Lock()
		n++
		b := f.broker
		if n%2 == 0 {
			b = second
		}
		mu.Unlock()
		return b.AccessToken(context.Background(), d)
	})
	// Callers of the replica that lost the claim go on with the old token,
	// which still works; nobody waits and LinkedIn sees one refresh.
	if len(tokens) > 2 || f.refreshes() != 1 {
		t.Fatalf("%d distinct tokens, %d refresh requests; want at most 2 and 1", len(tokens), f.refreshes())
	}
	if got, _ := second.AccessToken(context.Background(), f.datasource(t)); !tokens[got.Token] || got.Version != d.Token.Version+1 {
		t.Fatal("the other replica does not use the refreshed token afterwards")
	}
}

func callConcurrently(t *testing.T, n int, call func() (ps.Access, error)) map[string]bool {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	tokens := map[string]bool{}
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a, err := call()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
			}
			tokens[a.Token] = true
		}()
	}
	close(start)
	wg.Wait()
	return tokens
}

func TestRefreshAnswerWithoutRefreshTokenKeepsIt(t *testing.T) {
	f, _ := partner(t)
	d := f.datasource(t)
	stingy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") == "" || r.PostForm.Get("client_secret") != sandbox.PartnerClientSecret {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"AQV-new","expires_in":5184000}`))
	}))
	defer stingy.Close()
	f.broker.Endpoints.TokenURL = stingy.URL
	f.clock.Advance(60*24*time.Hour - time.Minute)
	a, err := f.broker.AccessToken(context.Background(), d)
	if err != nil || a.Token != "AQV-new" {
		t.Fatalf("%+v %v", a, err)
	}
	saved := f.datasource(t)
	if string(saved.Token.Refresh) != string(d.Token.Refresh) || !saved.Token.Refreshable(f.clock.Now()) ||
		strings.Join(saved.Token.Scopes, " ") != strings.Join(d.Token.Scopes, " ") {
		t.Fatalf("the refresh token or scopes were dropped: %+v", saved.Token)
	}
}

func TestRefreshFailureWaitsAndRequiresAuthorization(t *testing.T) {
	f, events := partner(t)
	f.fake.Config.Handler.(*sandbox.Sandbox).RevokeAll()
	f.clock.Advance(60*24*time.Hour - time.Minute)
	_, err := f.broker.AccessToken(context.Background(), f.datasource(t))
	if e := plugin.AsError(err); e.Code != plugin.AuthorizationRequired || !strings.Contains(e.Message, "invalid_grant") {
		t.Fatalf("err = %v", err)
	}
	d := f.datasource(t)
	if d.AuthStatus(f.clock.Now()) != ps.StatusError || !strings.Contains(d.Problem.Reason, "invalid_grant") || d.Problem.Failures != 1 ||
		!d.Problem.RetryAt.Equal(f.clock.Now().Add(time.Minute)) {
		t.Fatalf("problem %+v", d.Problem)
	}
	if _, err := f.broker.AccessToken(context.Background(), d); plugin.AsError(err).Code != plugin.AuthorizationRequired || f.refreshes() != 1 {
		t.Fatalf("retried before the wait: %v, %d refreshes", err, f.refreshes())
	}
	f.clock.Advance(time.Minute)
	f.broker.AccessToken(context.Background(), d)
	if d = f.datasource(t); f.refreshes() != 2 || d.Problem.Failures != 2 || !d.Problem.RetryAt.Equal(f.clock.Now().Add(2*time.Minute)) {
		t.Fatalf("second try: %d refreshes, problem %+v", f.refreshes(), d.Problem)
	}
	if got := strings.Join(events.types(), ","); got != "authorized,refresh_failed,refresh_failed" {
		t.Fatalf("events %s", got)
	}
	// Authorizing again clears the problem.
	if o := f.broker.Callback(context.Background(), f.consent(t, "", "approve")); o.Error != "" {
		t.Fatal(o.Message)
	}
	if d = f.datasource(t); d.AuthStatus(f.clock.Now()) != ps.StatusAuthorized || d.Problem.Status != "" {
		t.Fatalf("after authorizing again: %s %+v", d.AuthStatus(f.clock.Now()), d.Problem)
	}
}

func TestTransientRefreshFailureUsesTheCurrentToken(t *testing.T) {
	f, _ := partner(t)
	d := f.datasource(t)
	current, _ := f.broker.AccessToken(context.Background(), d)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("<html>down</html>"))
	}))
	defer down.Close()
	f.broker.Endpoints.TokenURL = down.URL
	f.clock.Advance(60*24*time.Hour - time.Minute)
	a, err := f.broker.AccessToken(context.Background(), d)
	if err != nil || a.Token != current.Token {
		t.Fatalf("with a valid token and LinkedIn down: %+v, %v", a, err)
	}
	if d = f.datasource(t); d.Problem.Status != "" {
		t.Fatalf("a transient failure marked the datasource: %+v", d.Problem)
	}
	f.clock.Advance(2 * time.Minute) // now expired
	if _, err := f.broker.AccessToken(context.Background(), d); plugin.AsError(err).Code != plugin.UpstreamUnavailable {
		t.Fatalf("expired token and LinkedIn down: %v", err)
	}
}

func TestRejectedToken(t *testing.T) {
	t.Run("refreshable", func(t *testing.T) {
		f, _ := partner(t)
		d := f.datasource(t)
		used, _ := f.broker.AccessToken(context.Background(), d)
		fresh, err := f.broker.Rejected(context.Background(), d, used, "EXPIRED_ACCESS_TOKEN")
		if err != nil || fresh.Token == used.Token || f.refreshes() != 1 {
			t.Fatalf("%v, %d refreshes", err, f.refreshes())
		}
		// A second refusal of the old token finds the new one without a refresh.
		again, err := f.broker.Rejected(context.Background(), d, used, "EXPIRED_ACCESS_TOKEN")
		if err != nil || again.Token != fresh.Token || f.refreshes() != 1 {
			t.Fatalf("%v, %d refreshes", err, f.refreshes())
		}
	})
	t.Run("not refreshable", func(t *testing.T) {
		f := newFixture(t)
		events := &recorder{}
		f.broker.Events = events
		f.broker.Callback(context.Background(), f.consent(t, "", "approve"))
		d := f.datasource(t)
		used, _ := f.broker.AccessToken(context.Background(), d)
		_, err := f.broker.Rejected(context.Background(), d, used, "REVOKED_ACCESS_TOKEN")
		if e := plugin.AsError(err); e.Code != plugin.AuthorizationRequired || !strings.Contains(e.Message, "REVOKED_ACCESS_TOKEN") {
			t.Fatalf("err = %v", err)
		}
		d = f.datasource(t)
		if d.AuthStatus(f.clock.Now()) != ps.StatusExpired || d.Problem.Reason != "REVOKED_ACCESS_TOKEN" {
			t.Fatalf("status %s %+v", d.AuthStatus(f.clock.Now()), d.Problem)
		}
		if _, err := f.broker.AccessToken(context.Background(), d); plugin.AsError(err).Code != plugin.AuthorizationRequired {
			t.Fatalf("an expired datasource handed out a token: %v", err)
		}
		if got := strings.Join(events.types(), ","); got != "authorized,expired" {
			t.Fatalf("events %s", got)
		}
	})
}

func TestExpiringIsAnnouncedOnce(t *testing.T) {
	f := newFixture(t)
	events := &recorder{}
	f.broker.Events = events
	f.broker.Callback(context.Background(), f.consent(t, "", "approve"))
	for _, days := range []int{50, 4, 1} {
		f.clock.Advance(time.Duration(days) * 24 * time.Hour)
		if err := f.broker.AnnounceExpiring(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(events.types(), ","); got != "authorized,expiring" {
		t.Fatalf("events %s", got)
	}
	if d := f.datasource(t); d.AuthStatus(f.clock.Now()) != ps.StatusExpiring {
		t.Fatalf("status %s", d.AuthStatus(f.clock.Now()))
	}
}

// TestInterruptedRefresh: a replica that died holding the refresh claim
// blocks no one while the token works, and its claim runs out.
func TestInterruptedRefresh(t *testing.T) {
	f, _ := partner(t)
	d := f.datasource(t)
	f.clock.Advance(60*24*time.Hour - 5*time.Minute)
	now := f.clock.Now()
	if ok, err := f.store.ClaimRefresh(context.Background(), "acme", "ds1", d.Token.Version, "a-replica-that-died", now, now.Add(30*time.Second)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	old, err := f.broker.AccessToken(context.Background(), d)
	if err != nil || old.Version != d.Token.Version || f.refreshes() != 0 {
		t.Fatalf("with a dead replica's claim: %+v %v, %d refreshes", old, err, f.refreshes())
	}
	f.clock.Advance(31 * time.Second)
	fresh, err := f.broker.AccessToken(context.Background(), d)
	if err != nil || fresh.Version != d.Token.Version+1 || f.refreshes() != 1 {
		t.Fatalf("after the claim ran out: %+v %v, %d refreshes", fresh, err, f.refreshes())
	}
}
