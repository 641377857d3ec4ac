// Package circuit pauses calls to LinkedIn after repeated failures, so a
// bad day at LinkedIn is not made worse by hammering.
//
// A circuit belongs to one datasource: its failures pause its own calls and
// nobody else's. Only LinkedIn's own failures count (its 5xx, a connection
// it refused or broke, an answer that did not come in time); the caller
// decides what those are. A LinkedIn-wide outage is recognised only from
// many datasources of several workspaces failing at once, so no single
// workspace, however it misbehaves, can pause another's calls.
package circuit

import (
	"fmt"
	"sync"
	"time"

	"pluginserver/plugin"
)

// Breaker keeps the circuits of every datasource.
type Breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time
	// Outage is how many failing datasources, in how many workspaces,
	// make a LinkedIn-wide outage.
	outage Outage

	// OnOpen, when set, hears each circuit that opens, as
	// "workspace/datasource", or "*" for a LinkedIn-wide outage, so other
	// replicas can pause it too. It is called with the breaker locked: it
	// must only hand the fact on.
	OnOpen func(datasource string, until time.Time, why string)

	mu     sync.Mutex
	states map[string]*state
	// failing counts the datasources whose last call failed, per
	// workspace; a success takes a datasource out.
	failing     map[string]int
	outageUntil time.Time
	outageWhy   string
}

type state struct {
	workspace   string
	failures    int
	lastFailure time.Time
	openUntil   time.Time
	// why says why the circuit is open, when another replica opened it.
	why string
}

// Outage says when failures are LinkedIn's as a whole.
type Outage struct {
	Datasources, Workspaces int
}

// DefaultOutage needs five failing datasources in three workspaces.
var DefaultOutage = Outage{Datasources: 5, Workspaces: 3}

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
		return paused(b.outageUntil.Sub(now), b.outageWhy)
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
	return datasources, now.Before(b.outageUntil)
}

// Pause opens a circuit another replica opened, until it closes there;
// datasource "*" is a LinkedIn-wide outage.
func (b *Breaker) Pause(workspace, datasource string, until time.Time, why string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if datasource == "*" {
		if until.After(b.outageUntil) {
			b.outageUntil, b.outageWhy = until, why
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

// Failed records one of LinkedIn's own failures on a datasource's call.
func (b *Breaker) Failed(workspace, datasource string) {
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
	b.checkOutage(now)
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

// checkOutage opens every circuit when enough datasources of enough
// workspaces have failed within the cool-down. The counts are cheap;
// the recent ones are counted only when the counts allow an outage.
func (b *Breaker) checkOutage(now time.Time) {
	if len(b.states) < b.outage.Datasources || len(b.failing) < b.outage.Workspaces {
		return
	}
	datasources, workspaces := 0, map[string]bool{}
	for _, s := range b.states {
		if now.Sub(s.lastFailure) <= b.cooldown {
			datasources++
			workspaces[s.workspace] = true
		}
	}
	if datasources >= b.outage.Datasources && len(workspaces) >= b.outage.Workspaces {
		b.outageUntil = now.Add(b.cooldown)
		b.outageWhy = fmt.Sprintf("calls of %d datasources in %d workspaces failed (LinkedIn appears to be down)", datasources, len(workspaces))
		b.opened("*", b.outageUntil, b.outageWhy)
	}
}
