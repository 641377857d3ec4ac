// Package oauthbroker runs the OAuth 2.0 authorization-code dance with
// LinkedIn for a datasource and keeps its token: state, authorize URL,
// callback, code exchange, sealing, and handing the token to the proxy.
package oauthbroker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/oauth2"

	ps "pluginserver"
	"pluginserver/plugin"
)

// Store is what the broker needs from the store.
type Store interface {
	Datasource(ctx context.Context, workspace, id string) (*ps.Datasource, error)
	SetToken(ctx context.Context, workspace, id string, t *ps.Token) error
	SaveAuthState(ctx context.Context, s *ps.AuthState) error
	TakeAuthState(ctx context.Context, stateHash string) (*ps.AuthState, error)
	ClaimRefresh(ctx context.Context, workspace, id string, version int64, owner string, now, until time.Time) (bool, error)
	SaveRefreshed(ctx context.Context, workspace, id string, version int64, owner string, t *ps.Token) (bool, error)
	SetProblem(ctx context.Context, workspace, id string, version int64, p ps.AuthProblem) error
	ExpiringTokens(ctx context.Context, before time.Time) ([]*ps.Datasource, error)
	MarkExpiringAnnounced(ctx context.Context, workspace, id string, version int64) error
}

// Events hears about what happens to datasources' tokens.
type Events interface {
	Publish(ctx context.Context, e Event)
}

// Event is one change of a datasource's authorization.
type Event struct {
	Type       string     `json:"type"`
	Datasource string     `json:"datasourceId"`
	Workspace  string     `json:"workspace"`
	At         time.Time  `json:"at"`
	Reason     string     `json:"reason,omitempty"`
	ExpiresAt  *time.Time `json:"tokenExpiresAt,omitempty"`
}

// Event types.
const (
	EventAuthorized    = "authorized"
	EventRefreshed     = "refreshed"
	EventRefreshFailed = "refresh_failed"
	EventExpiring      = "expiring"
	EventExpired       = "expired"
	EventDisconnected  = "disconnected"
)

// App is a LinkedIn OAuth application.
type App struct {
	ClientID     string
	ClientSecret string
}

// Endpoints are LinkedIn's OAuth and API URLs, overridable for the sandbox.
type Endpoints struct {
	AuthURL   string
	TokenURL  string
	RevokeURL string
	APIURL    string
}

// StateTTL is how long an authorization may take from click to callback.
const StateTTL = 10 * time.Minute

// Broker authorizes datasources and keeps their tokens.
type Broker struct {
	Store     Store
	Sealer    *Sealer
	Endpoints Endpoints
	// App is the server-wide LinkedIn app, used when a datasource has none.
	App App
	// Auth is what a datasource's plugin reads in its config: its own app
	// and the scopes to ask for. Nil asks for none, with the server's app.
	Auth func(ds *ps.Datasource) plugin.AuthConfig
	// Identify reads who granted a token (with the scopes it holds); nil
	// leaves authorizedAs empty.
	Identify func(ctx context.Context, accessToken string, scopes []string) (*ps.Member, error)
	// AppKinds are the kinds of app of the plugin, to say which grants a
	// scope LinkedIn refused.
	AppKinds []plugin.AppKind
	// RedirectURL is {public}/oauth/callback.
	RedirectURL string
	// ReturnOrigins are the origins a returnUrl may point to.
	ReturnOrigins []string
	HTTPClient    *http.Client
	Now           func() time.Time
	Log           zerolog.Logger
	// RefreshMargin is how long before expiry a refreshable token is
	// renewed; DefaultRefreshMargin when zero.
	RefreshMargin time.Duration
	// Events hears every authorization event; nil drops them.
	Events Events
	// OnRefresh, when set, hears the outcome of each refresh this broker
	// asked LinkedIn for: "ok", "refused" (LinkedIn refused the refresh
	// token), "unavailable" (LinkedIn failed or could not be reached) or
	// "error" (ours: a token that would not open, the store).
	OnRefresh func(outcome string)

	flights flights
	// opened holds each datasource's opened access token by version.
	opened sync.Map
	// owner names this broker in refresh claims, so a claim of another
	// process is told apart from ours.
	ownerOnce sync.Once
	owner     string
}

// DefaultRefreshMargin renews a token ten minutes before it expires.
const DefaultRefreshMargin = 10 * time.Minute

func (b *Broker) publish(ctx context.Context, typ string, ds *ps.Datasource, reason string, expires time.Time) {
	e := Event{Type: typ, Datasource: ds.ID, Workspace: ds.Workspace, At: b.Now().UTC(), Reason: reason}
	if !expires.IsZero() {
		e.ExpiresAt = &expires
	}
	b.Log.Info().Str("event", typ).Str("datasource", ds.ID).Str("workspace", ds.Workspace).Str("reason", reason).Msg("auth event")
	if b.Events != nil {
		b.Events.Publish(ctx, e)
	}
}

// Authorize starts an authorization of ds: it stores a single-use state
// bound to the datasource and returns LinkedIn's authorization URL.
func (b *Broker) Authorize(ctx context.Context, ds *ps.Datasource, returnURL string) (string, time.Time, error) {
	if returnURL != "" {
		if err := b.checkReturnURL(returnURL); err != nil {
			return "", time.Time{}, err
		}
	}
	cfg, err := b.oauthConfig(ds)
	if err != nil {
		return "", time.Time{}, err
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	state := base64.RawURLEncoding.EncodeToString(raw)
	now := b.Now()
	a := &ps.AuthState{StateHash: hashState(state), Workspace: ds.Workspace, DatasourceID: ds.ID,
		ReturnURL: returnURL, CreatedAt: now, ExpiresAt: now.Add(StateTTL)}
	if err := b.Store.SaveAuthState(ctx, a); err != nil {
		return "", time.Time{}, err
	}
	return cfg.AuthCodeURL(state), a.ExpiresAt, nil
}

// checkReturnURL allows only absolute http(s) URLs on a configured origin.
func (b *Broker) checkReturnURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return plugin.InvalidField("returnUrl", "must be an absolute http(s) URL")
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	if !slices.Contains(b.ReturnOrigins, origin) {
		return plugin.InvalidField("returnUrl", "origin %s is not in PLUGIN_SERVER_RETURN_ORIGINS", origin)
	}
	return nil
}

func hashState(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

// oauthConfig is the datasource's own app when it has one, else the server's.
func (b *Broker) oauthConfig(ds *ps.Datasource) (*oauth2.Config, error) {
	var cfg plugin.AuthConfig
	if b.Auth != nil {
		cfg = b.Auth(ds)
	}
	app := b.App
	if cfg.ClientID != "" {
		app = App{ClientID: cfg.ClientID}
		if len(ds.ClientSecret) > 0 {
			secret, err := b.Sealer.Open(ds.ClientSecret, clientSecretAAD(ds.ID))
			if err != nil {
				return nil, fmt.Errorf("open client secret of %s: %w", ds.ID, err)
			}
			app.ClientSecret = string(secret)
		}
	}
	if app.ClientID == "" || app.ClientSecret == "" {
		return nil, &plugin.Error{Code: plugin.InvalidInput,
			Message: "no LinkedIn app: set LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET, or give the datasource its own clientId and clientSecret",
			Fields:  []plugin.FieldProblem{{Field: "config.clientId", Message: "no LinkedIn app is configured"}}}
	}
	return &oauth2.Config{
		ClientID:     app.ClientID,
		ClientSecret: app.ClientSecret,
		RedirectURL:  b.RedirectURL,
		Scopes:       cfg.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: b.Endpoints.AuthURL, TokenURL: b.Endpoints.TokenURL,
			// LinkedIn takes the client credentials in the form body.
			AuthStyle: oauth2.AuthStyleInParams},
	}, nil
}

// SealClientSecret seals a datasource's own app secret for the store.
func (b *Broker) SealClientSecret(datasourceID, secret string) []byte {
	return b.Sealer.Seal([]byte(secret), clientSecretAAD(datasourceID))
}

// sealedAAD binds a sealed value to its owner and field, as the store names
// them: a value copied elsewhere does not open.
func sealedAAD(owner, field string) string {
	if owner == "server" {
		return "server/" + field
	}
	return "datasource/" + owner + "/" + field
}

func clientSecretAAD(id string) string { return sealedAAD(id, "client_secret") }
func accessTokenAAD(id string) string  { return sealedAAD(id, "access_token") }
func refreshTokenAAD(id string) string { return sealedAAD(id, "refresh_token") }
func sealedOrNil(s *Sealer, v, aad string) []byte {
	if v == "" {
		return nil
	}
	return s.Seal([]byte(v), aad)
}

// Outcome is how a callback ended: for the member's browser, a redirect to
// the returnUrl or a page that says what happened.
type Outcome struct {
	DatasourceID string
	ReturnURL    string
	Member       *ps.Member
	// Error is a stable reason such as invalid_state or
	// user_cancelled_authorize; Message says it to a person.
	Error   string
	Message string
}

// RedirectURL is where the browser goes, or "" when there is no returnUrl.
func (o *Outcome) RedirectURL() string {
	if o.ReturnURL == "" {
		return ""
	}
	u, err := url.Parse(o.ReturnURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("datasourceId", o.DatasourceID)
	if o.Error == "" {
		q.Set("status", "authorized")
	} else {
		q.Set("status", "error")
		q.Set("error", o.Error)
		q.Set("message", o.Message)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// linkedInRefusals are the error values LinkedIn's authorization page sends
// back; any other value is reported as authorization_failed.
var linkedInRefusals = map[string]string{
	"user_cancelled_login":     "The member cancelled the LinkedIn sign-in.",
	"user_cancelled_authorize": "The member declined to authorize the app.",
	"access_denied":            "LinkedIn denied the authorization.",
	"unauthorized_scope_error": "The LinkedIn app may not ask for one of the requested scopes.",
	"invalid_scope":            "The LinkedIn app may not ask for one of the requested scopes.",
	"invalid_request":          "LinkedIn refused the authorization request.",
}

// Callback finishes an authorization from the query LinkedIn redirected
// the member's browser with. Whatever goes wrong, nothing is stored but a
// complete token.
func (b *Broker) Callback(ctx context.Context, q url.Values) *Outcome {
	if msg := checkCallbackQuery(q); msg != "" {
		return &Outcome{Error: "invalid_request", Message: msg}
	}
	state := q.Get("state")
	if state == "" {
		return &Outcome{Error: "invalid_state", Message: "The callback has no state: start again from Authorize."}
	}
	a, err := b.Store.TakeAuthState(ctx, hashState(state))
	if err != nil {
		if plugin.AsError(err).Code != plugin.NotFound {
			b.Log.Error().Err(err).Msg("take auth state")
		}
		return &Outcome{Error: "invalid_state", Message: "This authorization link is unknown or was already used: start again from Authorize."}
	}
	o := &Outcome{DatasourceID: a.DatasourceID, ReturnURL: a.ReturnURL}
	fail := func(code, msg string) *Outcome {
		o.Error, o.Message = code, msg
		b.Log.Info().Str("datasource", a.DatasourceID).Str("reason", code).Msg("authorization failed")
		return o
	}
	if !b.Now().Before(a.ExpiresAt) {
		return fail("expired_state", "This authorization took longer than 10 minutes: start again from Authorize.")
	}
	if e := q.Get("error"); e != "" {
		if e == "unauthorized_scope_error" {
			return fail(e, b.scopeRefused(q.Get("error_description")))
		}
		if msg, ok := linkedInRefusals[e]; ok {
			return fail(e, msg)
		}
		return fail("authorization_failed", "LinkedIn did not authorize the app.")
	}
	code := q.Get("code")
	if code == "" {
		return fail("missing_code", "LinkedIn sent no authorization code.")
	}
	ds, err := b.Store.Datasource(ctx, a.Workspace, a.DatasourceID)
	if err != nil {
		return fail("datasource_not_found", "The datasource was deleted while it was being authorized.")
	}
	cfg, err := b.oauthConfig(ds)
	if err != nil {
		return fail("no_app", "No LinkedIn app is configured for this datasource.")
	}
	tok, err := cfg.Exchange(context.WithValue(ctx, oauth2.HTTPClient, b.HTTPClient), code)
	if err != nil {
		b.Log.Warn().Str("datasource", ds.ID).Str("detail", exchangeDetail(err)).Msg("code exchange failed")
		return fail("token_exchange_failed", "LinkedIn did not exchange the authorization code for a token: "+exchangeDetail(err))
	}
	t := b.sealToken(ds.ID, tok, cfg.Scopes)
	if b.Identify != nil {
		if t.Member, err = b.Identify(ctx, tok.AccessToken, t.Scopes); err != nil {
			// The grant is good without it: only authorizedAs is left
			// empty (a datasource that asked for no profile scope).
			b.Log.Warn().Str("datasource", ds.ID).Err(err).Msg("reading the member after authorization")
		}
	}
	if err := b.Store.SetToken(ctx, ds.Workspace, ds.ID, t); err != nil {
		b.Log.Error().Err(err).Str("datasource", ds.ID).Msg("save token")
		return fail("internal", "The token could not be saved; try again.")
	}
	o.Member = t.Member
	b.publish(ctx, EventAuthorized, ds, strings.Join(t.Scopes, " "), t.ExpiresAt)
	return o
}

// exchangeDetail says why the token endpoint refused, without the response
// body, which could hold a token.
func exchangeDetail(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if re.ErrorCode != "" {
			return fmt.Sprintf("%s (HTTP %d)", re.ErrorCode, status)
		}
		return fmt.Sprintf("HTTP %d", status)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "the token endpoint could not be reached or answered garbage"
}

// sealToken seals a token answer. Without a scope in the answer, the
// requested scopes were granted (RFC 6749, 5.1).
func (b *Broker) sealToken(id string, tok *oauth2.Token, requested []string) *ps.Token {
	now := b.Now()
	t := &ps.Token{
		Access:  b.Sealer.Seal([]byte(tok.AccessToken), accessTokenAAD(id)),
		Refresh: sealedOrNil(b.Sealer, tok.RefreshToken, refreshTokenAAD(id)),
		Scopes:  parseScopes(tok.Extra("scope")),
	}
	if len(t.Scopes) == 0 {
		t.Scopes = requested
	}
	if tok.ExpiresIn > 0 {
		t.ExpiresAt = now.Add(lifetime(tok.ExpiresIn))
	}
	if secs := number(tok.Extra("refresh_token_expires_in")); secs > 0 && t.Refresh != nil {
		t.RefreshExpiresAt = now.Add(lifetime(secs))
	}
	return t
}

// maxLifetime bounds what a token endpoint may claim: LinkedIn's longest is
// a year, and a larger number (some servers send nanoseconds) would
// overflow a time.Duration.
const maxLifetime = 366 * 24 * time.Hour

func lifetime(seconds int64) time.Duration {
	if seconds > int64(maxLifetime/time.Second) {
		return maxLifetime
	}
	return time.Duration(seconds) * time.Second
}

// parseScopes reads LinkedIn's comma-separated scope (and the standard
// space-separated one).
func parseScopes(v any) []string {
	s, _ := v.(string)
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

func number(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	case string:
		var i int64
		fmt.Sscan(n, &i)
		return i
	}
	return 0
}

var quotedScope = regexp.MustCompile(`"([A-Za-z0-9_.:-]{1,100})"`)

// scopeRefused says which scope LinkedIn's consent page refused (its
// error_description: Scope "openid" is not authorized for your
// application) and what to change: the kinds of app that grant it.
func (b *Broker) scopeRefused(description string) string {
	m := quotedScope.FindStringSubmatch(description)
	if m == nil {
		return linkedInRefusals["unauthorized_scope_error"] + " Check the datasource's scopes against the products of its LinkedIn app."
	}
	scope := m[1]
	var kinds []string
	for _, k := range b.AppKinds {
		if slices.Contains(k.Scopes, scope) {
			kinds = append(kinds, k.Title)
		}
	}
	msg := fmt.Sprintf("LinkedIn refused the scope %s: the datasource's LinkedIn app does not have the product that grants it.", scope)
	if len(kinds) > 0 {
		msg += " It is granted by a " + strings.Join(kinds, " or a ") + "."
	}
	return msg + fmt.Sprintf(" Remove %s from the datasource's scopes, or use an app that grants it, then click Authorize again.", scope)
}

// Disconnect revokes the datasource's token at LinkedIn and forgets it. The
// token is forgotten even when LinkedIn cannot be told; warning then says
// so. err is set only when the token could not be forgotten.
func (b *Broker) Disconnect(ctx context.Context, ds *ps.Datasource) (warning string, err error) {
	if ds.Token != nil {
		if err := b.revoke(ctx, ds); err != nil {
			b.Log.Warn().Str("datasource", ds.ID).Err(err).Msg("revocation not confirmed")
			warning = "LinkedIn did not confirm the revocation (" + err.Error() + "); the token was forgotten here"
		}
	}
	if err := b.Store.SetToken(ctx, ds.Workspace, ds.ID, nil); err != nil {
		return "", err
	}
	b.publish(ctx, EventDisconnected, ds, warning, time.Time{})
	return warning, nil
}

func (b *Broker) revoke(ctx context.Context, ds *ps.Datasource) error {
	if b.Endpoints.RevokeURL == "" {
		return nil
	}
	token, err := b.Sealer.Open(ds.Token.Access, accessTokenAAD(ds.ID))
	if err != nil {
		return errors.New("the token cannot be opened with this server's key")
	}
	cfg, err := b.oauthConfig(ds)
	if err != nil {
		return errors.New("no LinkedIn app is configured")
	}
	form := url.Values{"client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}, "token": {string(token)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.Endpoints.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.HTTPClient.Do(req)
	if err != nil {
		return errors.New("LinkedIn could not be reached")
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("LinkedIn answered HTTP %d", resp.StatusCode)
	}
	return nil
}
