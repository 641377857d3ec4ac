package sandbox

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"pluginserver/plugin/linkedin/facts"
)

var authorizePage = template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>LinkedIn sandbox: authorize</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;color:#1d2226}
h1{font-size:1.4rem}.who{background:#f3f6f8;padding:1rem;border-radius:8px}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:1.5rem;border:1px solid #0a66c2;margin-right:.5rem;cursor:pointer}
#approve{background:#0a66c2;color:#fff}#cancel{background:#fff;color:#0a66c2}.err{color:#b24020}</style></head>
<body><h1>LinkedIn sandbox</h1>
{{if .Error}}<p class="err" id="error">{{.Error}}</p>{{else}}
<p>The app <b>{{.ClientID}}</b> would like to:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<p class="who">Signed in as <b>{{.Name}}</b> ({{.Email}}). This is an emulator: no LinkedIn account is used.</p>
<form method="post">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="scope" value="{{.Scope}}">
<button id="approve" name="decision" value="approve">Allow</button>
<button id="cancel" name="decision" value="cancel">Cancel</button>
</form>{{end}}
</body></html>`))

// authRequest is the query of an authorization request, checked the way
// LinkedIn checks it before showing its consent page.
func (s *Sandbox) authRequest(q url.Values) (map[string]any, string) {
	v := map[string]any{"ClientID": q.Get("client_id"), "RedirectURI": q.Get("redirect_uri"), "State": q.Get("state"),
		"Scope": q.Get("scope"), "Scopes": strings.Fields(q.Get("scope")), "Name": Member["name"], "Email": Member["email"]}
	if q.Get("response_type") != "code" && q.Get("decision") == "" {
		return v, "response_type must be code"
	}
	if _, ok := s.opts.Clients[q.Get("client_id")]; !ok {
		return v, "The client_id is not known to this sandbox."
	}
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !u.IsAbs() || u.Fragment != "" || (u.Scheme != "http" && u.Scheme != "https") {
		return v, "The redirect_uri does not match the registered value."
	}
	if len(v["Scopes"].([]string)) == 0 {
		return v, "Scope is required."
	}
	return v, ""
}

// unauthorizedScope is the first scope asked for that the app's kind
// cannot be granted, "" when it may ask for them all. LinkedIn refuses the
// whole request for one such scope, before its consent page.
func (s *Sandbox) unauthorizedScope(clientID string, scopes []string) string {
	kind := s.opts.Kinds[clientID]
	for _, k := range facts.AppKinds {
		if k.ID != kind {
			continue
		}
		for _, scope := range scopes {
			if !slices.Contains(k.Scopes, scope) {
				return scope
			}
		}
	}
	return ""
}

// refuseScope sends the browser back to the app with LinkedIn's
// unauthorized_scope_error, as LinkedIn does for a scope the app's
// products do not grant.
func refuseScope(w http.ResponseWriter, r *http.Request, q url.Values, scope string) {
	back, _ := url.Parse(q.Get("redirect_uri"))
	bq := back.Query()
	bq.Set("error", "unauthorized_scope_error")
	bq.Set("error_description", fmt.Sprintf("Scope %q is not authorized for your application", scope))
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (s *Sandbox) authorizationPage(w http.ResponseWriter, r *http.Request) {
	v, problem := s.authRequest(r.URL.Query())
	if problem == "" {
		if scope := s.unauthorizedScope(r.URL.Query().Get("client_id"), v["Scopes"].([]string)); scope != "" {
			refuseScope(w, r, r.URL.Query(), scope)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if problem != "" {
		w.WriteHeader(http.StatusBadRequest)
		v["Error"] = problem
	}
	authorizePage.Execute(w, v)
}

// authorizationDecision is the Allow or Cancel button: back to the app with
// a code, or with error=user_cancelled_authorize.
func (s *Sandbox) authorizationDecision(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	v, problem := s.authRequest(r.PostForm)
	if problem != "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		v["Error"] = problem
		authorizePage.Execute(w, v)
		return
	}
	if scope := s.unauthorizedScope(r.PostForm.Get("client_id"), v["Scopes"].([]string)); scope != "" {
		refuseScope(w, r, r.PostForm, scope)
		return
	}
	back, _ := url.Parse(r.PostForm.Get("redirect_uri"))
	q := back.Query()
	q.Set("state", r.PostForm.Get("state"))
	if r.PostForm.Get("decision") == "approve" {
		code := "AQ" + randomID(60)
		s.mu.Lock()
		s.codes[code] = &grant{clientID: r.PostForm.Get("client_id"), redirectURI: back.String(),
			scopes: v["Scopes"].([]string), expires: s.opts.Now().Add(30 * time.Minute)}
		s.mu.Unlock()
		q.Set("code", code)
	} else {
		q.Set("error", "user_cancelled_authorize")
		q.Set("error_description", "The user cancelled the authorization")
	}
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func tokenError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// accessToken is LinkedIn's token endpoint: form-encoded, client
// credentials in the body, scope answered comma-separated.
func (s *Sandbox) accessToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "The request body must be form-encoded")
		return
	}
	f := r.PostForm
	secret, known := s.opts.Clients[f.Get("client_id")]
	if !known || f.Get("client_secret") != secret {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var g *grant
	switch f.Get("grant_type") {
	case "authorization_code":
		c := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code"))
		if c == nil || c.clientID != f.Get("client_id") || c.redirectURI != f.Get("redirect_uri") || !now.Before(c.expires) {
			tokenError(w, http.StatusBadRequest, "invalid_request", "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists")
			return
		}
		g = c
	case "refresh_token":
		old := s.refresh[f.Get("refresh_token")]
		if old == nil || old.revoked || old.clientID != f.Get("client_id") || !now.Before(old.expires) {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "The provided authorization grant or refresh token is invalid, expired or revoked")
			return
		}
		g = old
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		return
	}
	access := "AQV" + randomID(80)
	s.tokens[access] = &grant{clientID: g.clientID, scopes: g.scopes, expires: now.Add(s.opts.TokenLifetime)}
	out := map[string]any{"access_token": access, "expires_in": int(s.opts.TokenLifetime.Seconds()),
		"scope": strings.Join(g.scopes, ","), "token_type": "Bearer"}
	if slices.Contains(s.opts.Partners, g.clientID) {
		if f.Get("grant_type") == "refresh_token" {
			// Using a refresh token does not extend its life.
			out["refresh_token"], out["refresh_token_expires_in"] = f.Get("refresh_token"), int(g.expires.Sub(now).Seconds())
		} else {
			refresh := "AQX" + randomID(80)
			s.refresh[refresh] = &grant{clientID: g.clientID, scopes: g.scopes, expires: now.Add(365 * 24 * time.Hour)}
			out["refresh_token"], out["refresh_token_expires_in"] = refresh, 365*24*3600
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// revoke forgets a token (form: client_id, client_secret, token).
func (s *Sandbox) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "The request body must be form-encoded")
		return
	}
	secret, known := s.opts.Clients[r.PostForm.Get("client_id")]
	if !known || r.PostForm.Get("client_secret") != secret {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	s.mu.Lock()
	for _, m := range []map[string]*grant{s.tokens, s.refresh} {
		if g := m[r.PostForm.Get("token")]; g != nil && g.clientID == r.PostForm.Get("client_id") {
			g.revoked = true
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// Consent answers the consent page of authURL as the member would, with
// Allow or Cancel, and returns where the emulator sends the browser back.
// Tests use it to authorize without a browser.
func Consent(transport http.RoundTripper, authURL string, allow bool) (*url.URL, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	decision := "cancel"
	if allow {
		decision = "approve"
	}
	form := url.Values{"decision": {decision}}
	for _, k := range []string{"client_id", "redirect_uri", "state", "scope"} {
		form.Set(k, q.Get(k))
	}
	u.RawQuery = ""
	client := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(u.String(), form)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("consent page answered %d", resp.StatusCode)
	}
	return resp.Location()
}

// Token authorizes the member for scopes on the sandbox's app that may
// ask for them, as a browser and an app would (consent, then the code
// exchanged), and returns the access token. Tests use it.
func Token(transport http.RoundTripper, base string, scopes ...string) (string, error) {
	const redirect = "http://127.0.0.1/cb"
	client, secret := AppFor(scopes)
	auth := base + "/oauth/v2/authorization?" + url.Values{"response_type": {"code"}, "client_id": {client},
		"redirect_uri": {redirect}, "state": {"s"}, "scope": {strings.Join(scopes, " ")}}.Encode()
	back, err := Consent(transport, auth, true)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: transport}).PostForm(base+"/oauth/v2/accessToken", url.Values{"grant_type": {"authorization_code"},
		"code": {back.Query().Get("code")}, "client_id": {client}, "client_secret": {secret}, "redirect_uri": {redirect}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("no token for %v (back to %s): %v", scopes, back, err)
	}
	if tok.Scope != strings.Join(scopes, ",") {
		return "", fmt.Errorf("granted %q, asked for %v", tok.Scope, scopes)
	}
	return tok.AccessToken, nil
}

// InvalidateAccessTokens makes every access token fail with 401 while
// refresh tokens keep working, as when LinkedIn cuts tokens short.
func (s *Sandbox) InvalidateAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.tokens {
		g.revoked = true
	}
}

// RevokeAll revokes every token, as a member does by removing the app in
// LinkedIn's settings.
func (s *Sandbox) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []map[string]*grant{s.tokens, s.refresh} {
		for _, g := range m {
			g.revoked = true
		}
	}
}
