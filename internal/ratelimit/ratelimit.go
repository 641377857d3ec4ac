// Package ratelimit smooths the calls of each key (a datasource) to a
// steady rate. A call over the rate is not refused: it reserves the next
// free slot and waits for it, so a burst from one app page is spread out
// instead of failing. Only a call whose slot would come after its own
// deadline is refused, at once, since waiting could not help it.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"pluginserver/internal/wait"
)

// Limiter lets Rate calls per second per key go, and up to Burst at once.
type Limiter struct {
	rate  float64
	burst float64
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	buckets map[string]*bucket
	// sweepAt is the map size that triggers forgetting idle buckets; it
	// grows with the number of busy ones, so sweeps stay rare.
	sweepAt int
}

type bucket struct {
	// tokens may go below zero: each missing token is a slot promised to
	// a call that is waiting for it.
	tokens float64
	at     time.Time
}

// minSweep is how many buckets are kept before full ones are forgotten: a
// full bucket is the same as no bucket.
const minSweep = 1024

// TooLate refuses a call whose turn would come after its deadline.
type TooLate struct {
	// Wait is how long the call would have had to wait for its turn.
	Wait time.Duration
}

func (e *TooLate) Error() string {
	return fmt.Sprintf("its turn would come in %s, after the call's deadline", e.Wait.Round(time.Millisecond))
}

// RetryAfter is when a new try may find a free turn.
func (e *TooLate) RetryAfter() time.Duration { return e.Wait }

// New makes a limiter. now is the clock and sleep waits for a duration or
// until ctx ends; nil means the real ones.
func New(rate float64, burst int, now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) *Limiter {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = wait.Sleep
	}
	return &Limiter{rate: rate, burst: float64(max(burst, 1)), now: now, sleep: sleep,
		buckets: map[string]*bucket{}, sweepAt: minSweep}
}

// Wait returns when it is key's turn. It returns *TooLate at once, having
// taken no turn, when the turn would come after ctx's deadline, and ctx's
// error if ctx ends while waiting, giving the turn back for others.
func (l *Limiter) Wait(ctx context.Context, key string) error {
	wait := l.reserve(key)
	if wait <= 0 {
		return nil
	}
	// Contexts keep their deadline by the real clock, whatever clock the
	// limiter counts turns with.
	if deadline, ok := ctx.Deadline(); ok && wait > time.Until(deadline) {
		l.release(key)
		return &TooLate{Wait: wait}
	}
	if err := l.sleep(ctx, wait); err != nil {
		l.release(key)
		return err
	}
	return nil
}

// reserve takes the next turn of key and says how long until it comes.
func (l *Limiter) reserve(key string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key, now)
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(math.Round(-b.tokens / l.rate * float64(time.Second)))
}

// release gives back a turn that was not used, so the next caller gets
// it. A bucket forgotten meanwhile was full, and stays so.
func (l *Limiter) release(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		l.refill(b, now)
		b.tokens = min(l.burst, b.tokens+1)
	}
}

func (l *Limiter) bucket(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.sweepAt {
			l.forgetFull(now)
			l.sweepAt = max(minSweep, 2*len(l.buckets))
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	return b
}

func (l *Limiter) refill(b *bucket, now time.Time) {
	if now.After(b.at) {
		b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
		b.at = now
	}
}

func (l *Limiter) forgetFull(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// Len is how many keys the limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
