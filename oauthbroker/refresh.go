package oauthbroker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	ps "pluginserver"
	"pluginserver/plugin"
)

const (
	// claimTTL bounds how long a crashed refresher blocks the others.
	claimTTL = 30 * time.Second
	// refreshWait bounds how long a caller waits for a refresh another
	// process is doing.
	refreshWait = 20 * time.Second
)

// AccessToken opens the datasource's access token for a call. A token that
// can be refreshed and expires within the margin is refreshed first, once
// for any number of callers in any number of processes.
func (b *Broker) AccessToken(ctx context.Context, ds *ps.Datasource) (ps.Access, error) {
	t := ds.Token
	if t == nil {
		return ps.Access{}, plugin.Errorf(plugin.AuthorizationRequired, "datasource %s is not authorized: an admin must click Authorize", ds.ID)
	}
	now := b.Now()
	switch ds.Problem.Status {
	case ps.StatusExpired:
		return ps.Access{}, plugin.Errorf(plugin.AuthorizationRequired, "LinkedIn refused the token of datasource %s (%s): an admin must click Authorize again", ds.ID, ds.Problem.Reason)
	case ps.StatusError:
		if !t.Refreshable(now) || now.Before(ds.Problem.RetryAt) {
			return ps.Access{}, refreshFailed(ds.ID, ds.Problem)
		}
	}
	if t.Refreshable(now) && (ds.Problem.Status == ps.StatusError || !t.ExpiresAt.IsZero() && t.ExpiresAt.Sub(now) < b.margin()) {
		access, err := b.refresh(ctx, ds, t.Version, expired(t, now))
		if err == nil || !transient(err) || expired(t, now) {
			return access, err
		}
		// LinkedIn could not be reached; the current token still works.
		b.Log.Warn().Str("datasource", ds.ID).Err(err).Msg("refresh postponed")
	}
	if expired(t, now) {
		return ps.Access{}, plugin.Errorf(plugin.AuthorizationRequired, "the LinkedIn token of datasource %s expired at %s: an admin must click Authorize again", ds.ID, t.ExpiresAt.Format(time.RFC3339))
	}
	return b.open(ds.ID, t)
}

func (b *Broker) margin() time.Duration {
	if b.RefreshMargin > 0 {
		return b.RefreshMargin
	}
	return DefaultRefreshMargin
}

func expired(t *ps.Token, now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

// open unseals a token once per version: every change of a token (an
// authorization, a refresh, a disconnect) bumps its version, so an opened
// token is reused until its datasource's token changes.
func (b *Broker) open(id string, t *ps.Token) (ps.Access, error) {
	if a, ok := b.opened.Load(id); ok && a.(ps.Access).Version == t.Version {
		return a.(ps.Access), nil
	}
	tok, err := b.Sealer.Open(t.Access, accessTokenAAD(id))
	if err != nil {
		return ps.Access{}, fmt.Errorf("open token of %s: %w", id, err)
	}
	a := ps.Access{Token: string(tok), Version: t.Version}
	b.opened.Store(id, a)
	return a, nil
}

func refreshFailed(id string, p ps.AuthProblem) error {
	return plugin.Errorf(plugin.AuthorizationRequired, "refreshing the LinkedIn token of datasource %s failed (%s); it is tried again after %s, or an admin can click Authorize",
		id, p.Reason, p.RetryAt.UTC().Format(time.RFC3339))
}

// transient errors say nothing about the grant: LinkedIn was not reached.
func transient(err error) bool {
	code := plugin.AsError(err).Code
	return code == plugin.UpstreamUnavailable || code == plugin.UpstreamTimeout
}

// Rejected is told that LinkedIn answered 401 to a call made with used. A
// refreshable token is refreshed (unless another caller already replaced
// it) and the new one returned; otherwise the datasource is marked expired.
func (b *Broker) Rejected(ctx context.Context, ds *ps.Datasource, used ps.Access, why string) (ps.Access, error) {
	d, err := b.Store.Datasource(ctx, ds.Workspace, ds.ID)
	if err != nil {
		return ps.Access{}, err
	}
	if d.Token != nil && d.Token.Version != used.Version {
		return b.AccessToken(ctx, d)
	}
	if d.Token != nil && d.Token.Refreshable(b.Now()) {
		return b.refresh(ctx, d, used.Version, true)
	}
	if d.Token != nil {
		if err := b.Store.SetProblem(ctx, d.Workspace, d.ID, used.Version, ps.AuthProblem{Status: ps.StatusExpired, Reason: why}); err != nil {
			return ps.Access{}, err
		}
		b.publish(ctx, EventExpired, d, why, d.Token.ExpiresAt)
	}
	return ps.Access{}, plugin.Errorf(plugin.AuthorizationRequired, "LinkedIn refused the token of datasource %s (%s): an admin must click Authorize again", d.ID, why)
}

// refresh renews the token of the given version. Callers in this process
// share one refresh; other processes are kept out by a claim in the store.
// When another process holds the claim, a caller whose token still works
// goes on with it; one whose token is dead (mustWait) waits for the new one.
func (b *Broker) refresh(ctx context.Context, ds *ps.Datasource, version int64, mustWait bool) (ps.Access, error) {
	// The refresh outlives a caller that goes away: the others wait on it.
	shared := context.WithoutCancel(ctx)
	return b.flights.do(ctx, ds.ID, func() (ps.Access, error) {
		shared, cancel := context.WithTimeout(shared, refreshWait)
		defer cancel()
		return b.refreshOnce(shared, ds.Workspace, ds.ID, version, mustWait)
	})
}

func (b *Broker) ownerID() string {
	b.ownerOnce.Do(func() {
		raw := make([]byte, 8)
		rand.Read(raw)
		b.owner = hex.EncodeToString(raw)
	})
	return b.owner
}

func (b *Broker) refreshOnce(ctx context.Context, workspace, id string, version int64, mustWait bool) (ps.Access, error) {
	owner := b.ownerID()
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 250*time.Millisecond) {
		now := b.Now()
		claimed, err := b.Store.ClaimRefresh(ctx, workspace, id, version, owner, now, now.Add(claimTTL))
		if err != nil {
			return ps.Access{}, err
		}
		d, err := b.Store.Datasource(ctx, workspace, id)
		if err != nil {
			return ps.Access{}, err
		}
		if d.Token == nil {
			return ps.Access{}, plugin.Errorf(plugin.AuthorizationRequired, "datasource %s is not authorized: an admin must click Authorize", id)
		}
		if claimed {
			access, err := b.exchangeRefresh(ctx, d, version)
			if b.OnRefresh != nil {
				b.OnRefresh(refreshOutcome(err))
			}
			return access, err
		}
		if d.Token.Version != version {
			// Another process refreshed (or the admin authorized again).
			return b.AccessToken(ctx, d)
		}
		if !mustWait && !expired(d.Token, b.Now()) {
			return b.open(id, d.Token)
		}
		select {
		case <-ctx.Done():
			return ps.Access{}, plugin.Errorf(plugin.UpstreamTimeout, "waited too long for another replica to refresh the token")
		case <-time.After(wait):
		}
	}
}

// exchangeRefresh asks LinkedIn for a new token under our claim and saves
// it before anyone uses it.
func (b *Broker) exchangeRefresh(ctx context.Context, d *ps.Datasource, version int64) (ps.Access, error) {
	old := d.Token
	release := func(p ps.AuthProblem) {
		if err := b.Store.SetProblem(ctx, d.Workspace, d.ID, version, p); err != nil {
			b.Log.Error().Err(err).Str("datasource", d.ID).Msg("record refresh problem")
		}
	}
	refreshToken, err := b.Sealer.Open(old.Refresh, refreshTokenAAD(d.ID))
	if err != nil {
		release(d.Problem)
		return ps.Access{}, fmt.Errorf("open refresh token of %s: %w", d.ID, err)
	}
	cfg, err := b.oauthConfig(d)
	if err != nil {
		release(d.Problem)
		return ps.Access{}, err
	}
	src := cfg.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, b.HTTPClient), &oauth2.Token{RefreshToken: string(refreshToken)})
	tok, err := src.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode >= http.StatusInternalServerError {
			release(d.Problem)
			return ps.Access{}, plugin.Errorf(plugin.UpstreamUnavailable, "the LinkedIn token could not be refreshed: %s", exchangeDetail(err))
		}
		p := ps.AuthProblem{Status: ps.StatusError, Reason: refusal(re), Failures: d.Problem.Failures + 1}
		p.RetryAt = b.Now().Add(retryDelay(p.Failures))
		release(p)
		b.publish(ctx, EventRefreshFailed, d, p.Reason, old.ExpiresAt)
		return ps.Access{}, refreshFailed(d.ID, p)
	}
	t := b.sealToken(d.ID, tok, old.Scopes)
	if tok.RefreshToken == "" || tok.RefreshToken == string(refreshToken) {
		// LinkedIn's refresh tokens keep their own life; an answer without
		// one keeps the one we have.
		t.Refresh, t.RefreshExpiresAt = old.Refresh, old.RefreshExpiresAt
	}
	t.Member = old.Member
	saved, err := b.Store.SaveRefreshed(ctx, d.Workspace, d.ID, version, b.ownerID(), t)
	if err != nil {
		return ps.Access{}, err
	}
	if !saved {
		// Our claim ran out and another refresher took over; use theirs.
		fresh, err := b.Store.Datasource(ctx, d.Workspace, d.ID)
		if err != nil {
			return ps.Access{}, err
		}
		return b.AccessToken(ctx, fresh)
	}
	b.publish(ctx, EventRefreshed, d, "", t.ExpiresAt)
	return ps.Access{Token: tok.AccessToken, Version: version + 1}, nil
}

// refreshOutcome names how a refresh ended, for OnRefresh.
func refreshOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case transient(err):
		return "unavailable"
	case plugin.AsError(err).Code == plugin.AuthorizationRequired:
		return "refused"
	}
	return "error"
}

// refusal is LinkedIn's reason for refusing a refresh, never its body.
func refusal(re *oauth2.RetrieveError) string {
	if re.ErrorCode == "" {
		return fmt.Sprintf("HTTP %d", re.Response.StatusCode)
	}
	if re.ErrorDescription != "" {
		return re.ErrorCode + ": " + re.ErrorDescription
	}
	return re.ErrorCode
}

// retryDelay doubles from a minute up to an hour.
func retryDelay(failures int) time.Duration {
	d := time.Minute
	for i := 1; i < failures && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// AnnounceExpiring publishes an expiring event, once per token, for every
// token that cannot be refreshed and expires within ExpiringWindow.
func (b *Broker) AnnounceExpiring(ctx context.Context) error {
	list, err := b.Store.ExpiringTokens(ctx, b.Now().Add(ps.ExpiringWindow))
	if err != nil {
		return err
	}
	for _, d := range list {
		b.publish(ctx, EventExpiring, d, "", d.Token.ExpiresAt)
		if err := b.Store.MarkExpiringAnnounced(ctx, d.Workspace, d.ID, d.Token.Version); err != nil {
			return err
		}
	}
	return nil
}

// flights lets concurrent callers share one call per key.
type flights struct {
	mu    sync.Mutex
	calls map[string]*flight
}

type flight struct {
	done   chan struct{}
	access ps.Access
	err    error
}

func (f *flights) do(ctx context.Context, key string, fn func() (ps.Access, error)) (ps.Access, error) {
	f.mu.Lock()
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.access, c.err
		case <-ctx.Done():
			return ps.Access{}, ctx.Err()
		}
	}
	if f.calls == nil {
		f.calls = map[string]*flight{}
	}
	c := &flight{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()
	c.access, c.err = fn()
	f.mu.Lock()
	delete(f.calls, key)
	f.mu.Unlock()
	close(c.done)
	return c.access, c.err
}
