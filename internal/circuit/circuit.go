// Package circuit pauses calls to LinkedIn after repeated failures, so a
// bad day at LinkedIn is not made worse by hammering.
//
// A circuit belongs to one datasource: its failures pause its own calls and
// nobody else's. Only LinkedIn's own failures count (its 5xx, a connection
// it refused or broke, an answer that did not come in time); the caller
// decides what those are. A LinkedIn-wide outage is recognised only from
// LinkedIn's API host failing for many datasources of several workspaces,
// each workspace's failures lasting some seconds (Outage), so no single
// workspace, however it misbehaves, can pause another's calls, nor a few
// workspaces with a burst of failures or with an upload host's.
//
// A pause never outlives its evidence: an outage lasts the cool-down from
// the last failure that made it, and other replicas hear of it only as a
// lease of a few seconds (OutageLease) its replica renews while it holds,
// so a stored outage is over within seconds of its replica's last word and
// a restart never finds an older one in force.
package circuit

import (
	"fmt"
	"strings"
	"sync"
	"time"

	ps "pluginserver"
	"pluginserver/plugin"
)

// Breaker keeps the circuits of every datasource.
type Breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time
	// Outage is what makes a LinkedIn-wide outage.
	outage Outage

	// OnOpen, when set, hears each circuit that opens, as
	// "workspace/datasource" until its cool-down ends, and each lease of
	// a LinkedIn-wide outage, as "*" until the lease ends (again about
	// every OutageLease/3 while the outage holds and calls come), so other
	// replicas can pause them too. It is called with the breaker locked:
	// it must only hand the fact on.
	OnOpen func(datasource string, until time.Time, why string)

	mu     sync.Mutex
	states map[string]*state
	// failing counts the datasources whose last call failed, per
	// workspace; a success takes a datasource out.
	failing map[string]int
	// outageUntil is when the outage this replica saw ends: the
	// cool-down after the last failure that made it. outageShared is
	// when its lease was last handed to OnOpen.
	outageUntil  time.Time
	outageWhy    string
	outageShared time.Time
	// leaseUntil is when the outage lease another replica shared ends.
	leaseUntil time.Time
	leaseWhy   string
}

type state struct {
	workspace   string
	failures    int
	lastFailure time.Time
	// apiFirst and apiLast are the first and the last failure on
	// LinkedIn's API host since the datasource's last success; zero when
	// none. Only they can make an outage.
	apiFirst, apiLast time.Time
	openUntil         time.Time
	// why says why the circuit is open, when another replica opened it.
	why string
}

// Outage says when failures are LinkedIn's as a whole: LinkedIn's API host
// failed (not an upload host) for at least Datasources datasources in at
// least Workspaces workspaces, in each of those workspaces for at least
// Span (from the first failure of its failing datasources, none of them
// having succeeded since, to the last), and every one of those datasources
// failed within the cool-down. Span is what makes it "over time": a burst
// of failures, however many workspaces it comes from, is not an outage;
// each workspace must fail at least twice, Span apart, and a real outage
// is recognised Span after it began (at worst one cool-down, when each
// workspace's only caller opened its own circuit at once and tries again
// after it).
type Outage struct {
	Datasources, Workspaces int
	Span                    time.Duration
}

// DefaultOutage needs five datasources in three workspaces failing on
// LinkedIn's API, each of those workspaces for ten seconds or more.
var DefaultOutage = Outage{Datasources: 5, Workspaces: 3, Span: 10 * time.Second}

// OutageLease is how long another replica pauses on one word of an
// outage; its replica renews the lease while the outage holds, so the
// others learn within a poll of the facts and stop pausing within the
// lease once it ends or its replica goes away.
const OutageLease = 3 * time.Second

// leaseAhead is the furthest a lease may end from now as the replica
// applying it reads its clock: OutageLease and a second for clocks that
// differ. An outage fact ending later is no lease (an older server's
// pause, or a clock far off) and pauses nothing.
const leaseAhead = OutageLease + time.Second

// maxStates bounds the circuits kept: past it, those whose last failure is
// older than the cool-down are forgotten.
const maxStates = 10000

// New makes a breaker: threshold failures in a row open a datasource's
// circuit for cooldown.
func New(threshold int, cooldown time.Duration, outage Outage, now func() time.Time) *Breaker {
	return &Breaker{threshold: threshold, cooldown: cooldown, outage: outage, now: now,
		states: map[string]*state{}, failing: map[string]int{}}
}

// Allow says whether a datasource's calls may go to LinkedIn now. Once the
// cool-down is over calls go through again; the next failure opens the
// circuit at once.
func (b *Breaker) Allow(datasource string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if now.Before(b.outageUntil) {
		if now.Sub(b.outageShared) >= OutageLease/3 {
			b.shareOutage(now)
		}
		return paused(b.outageUntil.Sub(now), b.outageWhy)
	}
	if now.Before(b.leaseUntil) {
		return paused(b.leaseUntil.Sub(now), b.leaseWhy+", on another replica")
	}
	if s := b.states[datasource]; s != nil && now.Before(s.openUntil) {
		why := s.why
		if why == "" {
			why = fmt.Sprintf("%d failed calls in a row", s.failures)
		}
		return paused(s.openUntil.Sub(now), why)
	}
	return nil
}

// Open counts the datasources whose circuit is open now, and says whether
// every call is paused for a LinkedIn-wide outage. It looks at each
// circuit kept (at most maxStates).
func (b *Breaker) Open() (datasources int, outage bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	for _, s := range b.states {
		if now.Before(s.openUntil) {
			datasources++
		}
	}
	return datasources, now.Before(b.outageUntil) || now.Before(b.leaseUntil)
}

// Apply applies a "circuit" fact another replica shared: Key is
// "workspace/datasource", or "*" for a LinkedIn-wide outage's lease.
func (b *Breaker) Apply(f ps.Fact) {
	workspace, datasource, _ := strings.Cut(f.Key, "/")
	if f.Key == "*" {
		datasource = "*"
	}
	b.Pause(workspace, datasource, f.Until, f.Value)
}

// Pause opens a circuit another replica opened, until it closes there;
// datasource "*" is a lease of a LinkedIn-wide outage, which pauses every
// call until it ends and is ignored when it ends more than OutageLease
// (and a second) from now. What another replica paused never counts
// toward an outage here: only this replica's own failures do.
func (b *Breaker) Pause(workspace, datasource string, until time.Time, why string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if datasource == "*" {
		if until.Sub(b.now()) <= leaseAhead && until.After(b.leaseUntil) {
			b.leaseUntil, b.leaseWhy = until, why
		}
		return
	}
	s := b.states[datasource]
	if s == nil {
		if len(b.states) >= maxStates {
			b.forgetStale(b.now())
		}
		s = &state{workspace: workspace, lastFailure: b.now()}
		b.states[datasource] = s
		b.failing[workspace]++
	}
	if until.After(s.openUntil) {
		s.openUntil, s.why = until, why+" on another replica"
	}
}

func paused(wait time.Duration, why string) error {
	secs := max(int(wait.Round(time.Second)/time.Second), 1)
	return &plugin.Error{Code: plugin.UpstreamUnavailable, RetryAfter: secs,
		Message: fmt.Sprintf("calls to LinkedIn are paused for %d s after %s", secs, why)}
}

// Succeeded records that LinkedIn answered a datasource's call. An open
// circuit stays open for its cool-down: the call was let through before it
// opened (here, or on the replica that opened it), so its answer is older
// than the failures that opened it.
func (b *Breaker) Succeeded(datasource string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s := b.states[datasource]; s != nil && !b.now().Before(s.openUntil) {
		b.forget(datasource, s)
	}
}

// Failed records one of LinkedIn's own failures on a datasource's call;
// api says the call went to LinkedIn's API host, not to an upload host.
// Every failure counts toward the datasource's own circuit; only the API
// host's count toward a LinkedIn-wide outage.
func (b *Breaker) Failed(workspace, datasource string, api bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	s := b.states[datasource]
	if s == nil {
		if len(b.states) >= maxStates {
			b.forgetStale(now)
		}
		s = &state{workspace: workspace}
		b.states[datasource] = s
		b.failing[workspace]++
	}
	s.failures++
	s.lastFailure = now
	if s.failures >= b.threshold {
		s.openUntil, s.why = now.Add(b.cooldown), ""
		b.opened(workspace+"/"+datasource, s.openUntil, fmt.Sprintf("%d failed calls in a row", s.failures))
	}
	if api {
		if s.apiFirst.IsZero() {
			s.apiFirst = now
		}
		s.apiLast = now
		b.checkOutage(now)
	}
}

// opened tells OnOpen that a circuit opened.
func (b *Breaker) opened(key string, until time.Time, why string) {
	if b.OnOpen != nil {
		b.OnOpen(key, until, why)
	}
}

func (b *Breaker) forget(datasource string, s *state) {
	delete(b.states, datasource)
	if b.failing[s.workspace]--; b.failing[s.workspace] <= 0 {
		delete(b.failing, s.workspace)
	}
}

func (b *Breaker) forgetStale(now time.Time) {
	for id, s := range b.states {
		if now.Sub(s.lastFailure) > b.cooldown {
			b.forget(id, s)
		}
	}
}

// checkOutage pauses every call when the API host's recent failures make
// an outage (Outage), for the cool-down from now, the last failure that
// makes it. The counts are cheap; the failures are looked at only when the
// counts allow an outage.
func (b *Breaker) checkOutage(now time.Time) {
	if len(b.states) < b.outage.Datasources || len(b.failing) < b.outage.Workspaces {
		return
	}
	type failing struct {
		first, last time.Time
		datasources int
	}
	spans := map[string]*failing{}
	for _, s := range b.states {
		if s.apiLast.IsZero() || now.Sub(s.apiLast) > b.cooldown {
			continue
		}
		w := spans[s.workspace]
		if w == nil {
			w = &failing{first: s.apiFirst, last: s.apiLast}
			spans[s.workspace] = w
		}
		if s.apiFirst.Before(w.first) {
			w.first = s.apiFirst
		}
		if s.apiLast.After(w.last) {
			w.last = s.apiLast
		}
		w.datasources++
	}
	datasources, workspaces := 0, 0
	for _, w := range spans {
		if w.last.Sub(w.first) >= b.outage.Span {
			datasources += w.datasources
			workspaces++
		}
	}
	if datasources < b.outage.Datasources || workspaces < b.outage.Workspaces {
		return
	}
	leased := now.Before(b.outageUntil) && now.Sub(b.outageShared) < OutageLease/3
	b.outageUntil = now.Add(b.cooldown)
	b.outageWhy = fmt.Sprintf("calls to LinkedIn's API of %d datasources in %d workspaces failed for %s or more in each (LinkedIn appears to be down)",
		datasources, workspaces, b.outage.Span)
	if !leased {
		b.shareOutage(now)
	}
}

// shareOutage hands OnOpen a lease of the outage: OutageLease from now,
// never past the outage's end.
func (b *Breaker) shareOutage(now time.Time) {
	b.outageShared = now
	until := now.Add(OutageLease)
	if b.outageUntil.Before(until) {
		until = b.outageUntil
	}
	b.opened("*", until, b.outageWhy)
}
