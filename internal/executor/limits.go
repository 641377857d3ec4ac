package executor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
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
// they reset. It is memory for now (quota.Tracker); replicas will share it
// through the store.
type Quota interface {
	Exhausted(ctx context.Context, key string) (until time.Time, reason string, ok bool)
	Exhaust(ctx context.Context, key string, until time.Time, reason string)
	// Len is how many limits are known; with none, a call skips naming
	// its keys and looking each up.
	Len() int
}

// KnownLimits are LinkedIn's limits known to be reached for a datasource:
// its member's daily limit in its app, its app's daily limit, and a short
// pause LinkedIn asked of the datasource. Nil ones are not known reached.
type KnownLimits struct {
	Member     *KnownLimit `json:"member,omitempty"`
	App        *KnownLimit `json:"app,omitempty"`
	Datasource *KnownLimit `json:"datasource,omitempty"`
}

// KnownLimit is one limit reached: until when, and why.
type KnownLimit struct {
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
	found := false
	for _, k := range e.limitKeys(ds) {
		if until, reason, ok := e.Quota.Exhausted(ctx, k.key); ok {
			*k.field(&out) = &KnownLimit{ExhaustedUntil: wholeSecond(until), Reason: reason}
			found = true
		}
	}
	if !found {
		return nil
	}
	return &out
}

// limitKey is where one of a datasource's limits is kept.
type limitKey struct {
	scope quota.Scope
	key   string
	field func(*KnownLimits) **KnownLimit
}

// limitKeys are the keys of ds's limits. A member's limit is LinkedIn's
// per member per app, so it is keyed by both: two datasources the same
// member authorized in one app share it, and the same member in another
// app does not.
func (e *Executor) limitKeys(ds *ps.Datasource) []limitKey {
	app := e.appName(ds)
	member := memberOf(ds)
	if member == "" {
		member = "datasource " + ds.ID
	}
	return []limitKey{
		{quota.App, "app:" + app, func(l *KnownLimits) **KnownLimit { return &l.App }},
		{quota.Member, "member:" + app + ":" + member, func(l *KnownLimits) **KnownLimit { return &l.Member }},
		{quota.Throttle, "datasource:" + ds.ID, func(l *KnownLimits) **KnownLimit { return &l.Datasource }},
	}
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

// checkLimits runs before a call is sent. A call over a limit LinkedIn is
// known to enforce now is refused at once, since LinkedIn would refuse it
// and sending it would only cost more of the quota; then the call waits
// its turn under the rate, if one is set.
func (e *Executor) checkLimits(ctx context.Context, ds *ps.Datasource) error {
	if e.Quota != nil && e.Quota.Len() > 0 {
		var until time.Time
		var reason string
		var scope quota.Scope
		for _, k := range e.limitKeys(ds) {
			// The call may go only once every limit is over: name the
			// one that lasts longest.
			if u, r, ok := e.Quota.Exhausted(ctx, k.key); ok && u.After(until) {
				until, reason, scope = u, r, k.scope
			}
		}
		if !until.IsZero() {
			e.limitHit(scope.String())
			secs := seconds(until.Sub(e.now()))
			return &plugin.Error{Code: plugin.RateLimited, RetryAfter: secs,
				Message: fmt.Sprintf("%s; calls may go again at %s (in %d s); this call was not sent to LinkedIn",
					reason, wholeSecond(until).Format(time.RFC3339), secs)}
		}
	}
	if e.Limiter == nil {
		return nil
	}
	err := e.Limiter.Wait(ctx, ds.ID)
	var late interface{ RetryAfter() time.Duration }
	if err != nil {
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

// limitHit tells OnLimit of a call refused before sending; a pause
// LinkedIn asked of one datasource (quota.Throttle) is its "datasource"
// limit.
func (e *Executor) limitHit(scope string) {
	if e.OnLimit == nil {
		return
	}
	if scope == quota.Throttle.String() {
		scope = "datasource"
	}
	e.OnLimit(scope)
}

// observeLimits hears every answer LinkedIn gave; a 429 says which limit
// was reached and until when, and calls that would meet the same limit are
// refused before they are sent until then.
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
	for _, k := range e.limitKeys(ds) {
		if k.scope != v.Scope {
			continue
		}
		var reason string
		switch v.Scope {
		case quota.App:
			reason = fmt.Sprintf("LinkedIn app %s reached its daily limit (LinkedIn: %q)", app, said)
		case quota.Member:
			who := "the member who authorized this datasource"
			if sub := memberOf(ds); sub != "" {
				who = "member " + sub
			}
			reason = fmt.Sprintf("%s reached their daily limit in LinkedIn app %s (LinkedIn: %q)", who, app, said)
		default:
			reason = fmt.Sprintf("LinkedIn answered 429 without naming a daily limit, so this datasource pauses briefly (LinkedIn: %q)", said)
		}
		// The answer outlives the caller who got it: recording must not
		// end with the caller's context.
		e.Quota.Exhaust(context.Background(), k.key, v.Until, reason)
	}
}

// untilLimitsReset is how many seconds until every limit known reached
// for ds is over, 0 when none is.
func (e *Executor) untilLimitsReset(ctx context.Context, ds *ps.Datasource) int {
	l := e.Limits(ctx, ds)
	if l == nil {
		return 0
	}
	var until time.Time
	for _, k := range []*KnownLimit{l.Member, l.App, l.Datasource} {
		if k != nil && k.ExhaustedUntil.After(until) {
			until = k.ExhaustedUntil
		}
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
