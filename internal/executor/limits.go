package executor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	ps "pluginserver"
	"pluginserver/internal/quota"
	"pluginserver/plugin"
)

// Limiter spaces the calls of a key (a datasource) to a rate.
type Limiter interface {
	// Wait returns when the call's turn has come. It refuses a call whose
	// turn would come after ctx's deadline with an error that has a
	// RetryAfter() time.Duration method, and returns ctx's error when ctx
	// ends while waiting.
	Wait(ctx context.Context, key string) error
}

// Quota remembers LinkedIn's limits known to be reached, per key, until
// they reset. Each replica keeps one in memory (quota.Tracker), told what
// the others learn through the store.
type Quota interface {
	Exhausted(ctx context.Context, key string) (until time.Time, reason string, ok bool)
	Exhaust(ctx context.Context, key string, until time.Time, reason string)
	// Prefixed lists the limits known reached whose keys start with
	// prefix.
	Prefixed(ctx context.Context, prefix string) []quota.Limit
	// Len is how many limits are known; with none, a call skips naming
	// its keys and looking each up.
	Len() int
}

// UnknownEndpoint is the endpoint of the calls the plugin names none for
// (a custom action's route): they share limits of their own, so a 429 to
// one never pauses the endpoints the plugin knows.
const UnknownEndpoint = "custom"

// KnownLimits are LinkedIn's limits known to be reached for a datasource,
// one per scope and endpoint, the longest first.
type KnownLimits []KnownLimit

// KnownLimit is one limit reached: whose, for which endpoint, until when,
// and why. Scope is "member" (the daily limit of the member who authorized
// the datasource, in its app), "app" (its app's daily limit) or
// "datasource" (a short pause LinkedIn asked of it).
type KnownLimit struct {
	Scope          string    `json:"scope"`
	Endpoint       string    `json:"endpoint"`
	ExhaustedUntil time.Time `json:"exhaustedUntil"`
	Reason         string    `json:"reason"`
}

// Limits says which of LinkedIn's limits are known to be reached for ds;
// nil when none is.
func (e *Executor) Limits(ctx context.Context, ds *ps.Datasource) *KnownLimits {
	if e.Quota == nil || e.Quota.Len() == 0 {
		return nil
	}
	var out KnownLimits
	for _, s := range e.limitScopes(ds) {
		for _, l := range e.Quota.Prefixed(ctx, s.prefix) {
			out = append(out, KnownLimit{Scope: s.name(), Endpoint: strings.TrimPrefix(l.Key, s.prefix),
				ExhaustedUntil: wholeSecond(l.Until), Reason: l.Reason})
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortStableFunc(out, func(a, b KnownLimit) int { return b.ExhaustedUntil.Compare(a.ExhaustedUntil) })
	return &out
}

// limitScope is where one of a datasource's limits is kept: the key of
// its limit of an endpoint is prefix + the endpoint.
type limitScope struct {
	scope  quota.Scope
	prefix string
}

// name is the scope as the datasource and the metrics show it: a pause
// LinkedIn asked of one datasource (quota.Throttle) is its "datasource"
// limit.
func (s limitScope) name() string {
	if s.scope == quota.Throttle {
		return "datasource"
	}
	return s.scope.String()
}

// limitScopes are where ds's limits are kept. LinkedIn's limits are per
// endpoint; a member's is per member per app, so it is keyed by both: two
// datasources the same member authorized in one app share it, and the
// same member in another app does not.
func (e *Executor) limitScopes(ds *ps.Datasource) []limitScope {
	app := e.appName(ds)
	member := memberOf(ds)
	if member == "" {
		member = "datasource " + ds.ID
	}
	return []limitScope{
		{quota.App, "app:" + app + ":"},
		{quota.Member, "member:" + app + ":" + member + ":"},
		{quota.Throttle, "datasource:" + ds.ID + ":"},
	}
}

// endpointOf is the endpoint call c reaches, as ds's plugin names it;
// UnknownEndpoint when it names none.
func (e *Executor) endpointOf(p *plugin.Plugin, ds *ps.Datasource, c *plugin.Call) string {
	if p == nil && e.Catalog != nil {
		p, _ = e.Catalog.Plugin(ds.Plugin)
	}
	if p == nil || p.Endpoint == nil || c == nil || c.URL == nil && !c.Upload {
		return UnknownEndpoint
	}
	if k := p.Endpoint(c); k != "" {
		return k
	}
	return UnknownEndpoint
}

// about names an endpoint in a message.
func about(endpoint string) string {
	if endpoint == UnknownEndpoint {
		return "custom calls (routes the plugin does not know)"
	}
	return endpoint
}

// memberOf is the LinkedIn member who authorized ds, "" when unknown.
func memberOf(ds *ps.Datasource) string {
	if ds.Token == nil || ds.Token.Member == nil {
		return ""
	}
	return ds.Token.Member.Sub
}

func (e *Executor) appName(ds *ps.Datasource) string {
	if e.AppOf == nil {
		return ""
	}
	return e.AppOf(ds)
}

func (e *Executor) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// checkLimits runs once before a command's calls are sent. A call to an
// endpoint over a limit LinkedIn is known to enforce now is refused at
// once, since LinkedIn would refuse it and sending it would only cost
// more of the quota; then the command waits its turn under the rate, if
// one is set. A command that Runs several calls has each checked as it is
// sent (checkEndpoint).
func (e *Executor) checkLimits(ctx context.Context, p *plugin.Plugin, ds *ps.Datasource, cmd *plugin.Command, call *plugin.Call) error {
	if cmd.Run == nil {
		if err := e.checkEndpoint(ctx, p, ds, call); err != nil {
			return err
		}
	}
	if e.Limiter == nil {
		return nil
	}
	err := e.Limiter.Wait(ctx, ds.ID)
	var late interface{ RetryAfter() time.Duration }
	if err != nil && !errors.Is(err, context.Canceled) {
		// A caller who hung up while waiting was refused by nobody.
		e.limitHit("rate")
	}
	switch {
	case err == nil:
		return nil
	case errors.As(err, &late):
		secs := seconds(late.RetryAfter())
		return &plugin.Error{Code: plugin.RateLimited, RetryAfter: secs,
			Message: fmt.Sprintf("datasource %s is over PLUGIN_SERVER_RATE_LIMIT and its turn would come in %d s, after the call's deadline; this call was not sent to LinkedIn", ds.ID, secs)}
	default:
		return &plugin.Error{Code: plugin.RateLimited, RetryAfter: 1,
			Message: fmt.Sprintf("the call ended while waiting its turn under PLUGIN_SERVER_RATE_LIMIT (%v); it was not sent to LinkedIn", err)}
	}
}

// checkEndpoint refuses call, before it is sent, when a limit of its
// endpoint is known reached for ds.
func (e *Executor) checkEndpoint(ctx context.Context, p *plugin.Plugin, ds *ps.Datasource, call *plugin.Call) error {
	if e.Quota == nil || e.Quota.Len() == 0 || call == nil || call.URL == nil && !call.Upload {
		return nil
	}
	endpoint := e.endpointOf(p, ds, call)
	var until time.Time
	var reason, scope string
	for _, s := range e.limitScopes(ds) {
		// The call may go only once every limit is over: name the one
		// that lasts longest.
		if u, r, ok := e.Quota.Exhausted(ctx, s.prefix+endpoint); ok && u.After(until) {
			until, reason, scope = u, r, s.name()
		}
	}
	if until.IsZero() {
		return nil
	}
	e.limitHit(scope)
	secs := seconds(until.Sub(e.now()))
	return &plugin.Error{Code: plugin.RateLimited, RetryAfter: secs,
		Message: fmt.Sprintf("%s; calls to it may go again at %s (in %d s); this call was not sent to LinkedIn",
			reason, wholeSecond(until).Format(time.RFC3339), secs)}
}

// limitHit tells OnLimit of a call refused before sending.
func (e *Executor) limitHit(scope string) {
	if e.OnLimit != nil {
		e.OnLimit(scope)
	}
}

// observeLimits hears every answer LinkedIn gave; a 429 says which limit
// of the endpoint resp.Call reached was reached, and until when, and calls
// that would meet the same limit are refused before they are sent until
// then. Other endpoints go on.
func (e *Executor) observeLimits(ds *ps.Datasource, resp *plugin.Response) {
	if e.Quota == nil || resp == nil || resp.Status != http.StatusTooManyRequests {
		return
	}
	v := quota.Classify(e.now(), resp.Header, resp.Body)
	said := v.Said
	if said == "" {
		said = "HTTP 429 without a message"
	}
	app := e.appName(ds)
	endpoint := e.endpointOf(nil, ds, resp.Call)
	for _, s := range e.limitScopes(ds) {
		if s.scope != v.Scope {
			continue
		}
		var reason string
		switch v.Scope {
		case quota.App:
			reason = fmt.Sprintf("LinkedIn app %s reached its daily limit of %s (LinkedIn: %q)", app, about(endpoint), said)
		case quota.Member:
			who := "the member who authorized this datasource"
			if sub := memberOf(ds); sub != "" {
				who = "member " + sub
			}
			reason = fmt.Sprintf("%s reached their daily limit of %s in LinkedIn app %s (LinkedIn: %q)", who, about(endpoint), app, said)
		default:
			reason = fmt.Sprintf("LinkedIn answered 429 to %s without naming a daily limit, so this datasource's calls to it pause briefly (LinkedIn: %q)", about(endpoint), said)
		}
		// The answer outlives the caller who got it: recording must not
		// end with the caller's context.
		e.Quota.Exhaust(context.Background(), s.prefix+endpoint, v.Until, reason)
	}
}

// untilLimitsReset is how many seconds until every limit known reached
// for ds on the endpoint resp answers is over, 0 when none is.
func (e *Executor) untilLimitsReset(ctx context.Context, ds *ps.Datasource, resp *plugin.Response) int {
	if e.Quota == nil || e.Quota.Len() == 0 || resp == nil {
		return 0
	}
	endpoint := e.endpointOf(nil, ds, resp.Call)
	var until time.Time
	for _, s := range e.limitScopes(ds) {
		if u, _, ok := e.Quota.Exhausted(ctx, s.prefix+endpoint); ok && u.After(until) {
			until = u
		}
	}
	if until.IsZero() {
		return 0
	}
	return seconds(until.Sub(e.now()))
}

// wholeSecond is t in UTC, rounded up to the second, as a person reads a
// reset time: never before it.
func wholeSecond(t time.Time) time.Time {
	t = t.UTC()
	if r := t.Truncate(time.Second); r.Before(t) {
		return r.Add(time.Second)
	}
	return t
}

// seconds is d in whole seconds, rounded up and at least 1, as
// Retry-After wants.
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
