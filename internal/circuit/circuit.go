// Package circuit stops calls to LinkedIn for a while after repeated 429s
// or failures, per datasource and per app, so a bad day at LinkedIn or a
// spent quota is not made worse by hammering.
package circuit

import (
	"fmt"
	"sync"
	"time"

	"pluginserver/plugin"
)

// Breaker opens a circuit after Threshold consecutive throttles or
// failures, for Cooldown or as long as LinkedIn's Retry-After says.
type Breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu     sync.Mutex
	states map[string]*state
}

type state struct {
	failures  int
	openUntil time.Time
	code      plugin.Code
	reason    string
}

// Outcome is what a call to LinkedIn came to.
type Outcome int

const (
	Succeeded Outcome = iota
	Throttled         // LinkedIn answered 429
	Failed            // LinkedIn answered 5xx or could not be reached
)

// New makes a breaker.
func New(threshold int, cooldown time.Duration, now func() time.Time) *Breaker {
	return &Breaker{threshold: threshold, cooldown: cooldown, now: now, states: map[string]*state{}}
}

// Allow says whether calls under key may go to LinkedIn now. An open
// circuit answers rate_limited or upstream_unavailable with its reason.
// Once the cool-down is over calls go through again; the next failure opens
// the circuit at once.
func (b *Breaker) Allow(key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.states[key]
	now := b.now()
	if s == nil || !now.Before(s.openUntil) {
		return nil
	}
	wait := int(s.openUntil.Sub(now).Round(time.Second) / time.Second)
	return &plugin.Error{Code: s.code, RetryAfter: max(wait, 1),
		Message: fmt.Sprintf("calls to LinkedIn are paused for %d s after %s", max(wait, 1), s.reason)}
}

// Record counts an outcome; retryAfter is LinkedIn's Retry-After, if any.
func (b *Breaker) Record(key string, o Outcome, retryAfter time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.states[key]
	if o == Succeeded {
		delete(b.states, key)
		return
	}
	if s == nil {
		s = &state{}
		b.states[key] = s
	}
	s.failures++
	if s.failures < b.threshold {
		return
	}
	s.code, s.reason = plugin.UpstreamUnavailable, fmt.Sprintf("%d failed calls in a row", s.failures)
	if o == Throttled {
		s.code, s.reason = plugin.RateLimited, fmt.Sprintf("%d rate-limited calls in a row (LinkedIn's daily limits reset at midnight UTC)", s.failures)
	}
	s.openUntil = b.now().Add(max(b.cooldown, retryAfter))
}
