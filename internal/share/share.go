// Package share rations a bounded resource among the workspaces and
// datasources that use it, so that one of them misbehaving (a flood, slow
// bodies, huge uploads) cannot take what the others need.
//
// A Pool has a total and a share, and an owner's share is of what the
// others leave: an owner may hold at most share × (total − what the others
// hold). Alone, an owner may hold share × total; beside owners who took
// theirs, less, so some is always left for an owner who holds nothing. Two
// greedy workspaces at a share of one half hold three quarters of the
// pool, not all of it, and a third gets a unit at once where fixed halves
// left it waiting for one of theirs to end (an upload's five minutes). A
// unit already held is never taken back: an owner over its share when
// others came waits for what it holds to fall under it. Callers over
// their share, or finding the pool full, wait their turn until their
// context ends.
package share

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// Pool is a weighted semaphore with a cap per owner. A nil Pool rations
// nothing: every Acquire succeeds at once.
type Pool struct {
	total, each int64
	share       float64

	mu   sync.Mutex
	used int64
	held map[string]int64
	// queues hold the waiters by what blocks them: an owner at its share,
	// or (in full) the pool being full. A release wakes only the queues it
	// can unblock, so a thousand callers waiting on one busy workspace
	// cost nothing to the calls of another.
	queues map[string][]*waiter
	// full holds the waiters the pool being full blocks, by their first
	// owner (the workspace), oldest first; turns is the ring of those
	// owners, whose turn it is first. Units freed go round robin, one a
	// turn, so a workspace's lone call never waits behind another's
	// thousand.
	full  map[string][]*waiter
	turns []string
}

type waiter struct {
	n       int64
	owners  []string
	queue   string
	granted bool
	ready   chan struct{}
}

// New makes a pool of total units of which one owner may hold at most
// share (0 < share <= 1), and never less than one unit.
func New(total int64, share float64) *Pool {
	each := int64(math.Ceil(float64(total) * share))
	return &Pool{total: total, each: min(max(each, 1), total), share: share, held: map[string]int64{},
		queues: map[string][]*waiter{}, full: map[string][]*waiter{}}
}

// Each is the most one owner may hold, when it is alone.
func (p *Pool) Each() int64 { return p.each }

// Total is the size of the pool.
func (p *Pool) Total() int64 { return p.total }

// ErrTooLarge is returned for a request no owner may ever hold.
type ErrTooLarge struct{ N, Each int64 }

func (e *ErrTooLarge) Error() string {
	return fmt.Sprintf("share: %d units asked, an owner may hold %d", e.N, e.Each)
}

// Acquire takes n units on behalf of every owner given (a workspace and
// its datasource, say), waiting while the pool is full or any owner holds
// its share. It returns ctx's error, holding nothing, when ctx ends first.
func (p *Pool) Acquire(ctx context.Context, n int64, owners ...string) error {
	return p.AcquireWithin(ctx, 0, n, owners...)
}

// ErrWaitedTooLong is AcquireWithin's error when its time passes first.
var ErrWaitedTooLong = errors.New("share: waited too long")

// AcquireWithin is Acquire giving up after within (0: never), holding
// nothing, with ErrWaitedTooLong. Its timer starts only when the units are
// not free at once: a context with a deadline would be made, and
// registered with the caller's, on every call of a busy workspace.
func (p *Pool) AcquireWithin(ctx context.Context, within time.Duration, n int64, owners ...string) error {
	if p == nil {
		return nil
	}
	if n > p.each {
		return &ErrTooLarge{N: n, Each: p.each}
	}
	p.mu.Lock()
	blocker, blocked := p.blocker(n, owners)
	if !blocked {
		p.take(n, owners)
		p.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, owners: owners, ready: make(chan struct{})}
	p.enqueue(w, blocker)
	p.mu.Unlock()
	var expired <-chan time.Time
	if within > 0 {
		t := time.NewTimer(within)
		defer t.Stop()
		expired = t.C
	}
	var err error
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-expired:
		err = ErrWaitedTooLong
	}
	p.mu.Lock()
	if w.granted {
		p.mu.Unlock()
		p.Release(n, owners...)
		return err
	}
	if w.queue == "" {
		p.leaveFull(w)
	} else {
		p.setQueue(w.queue, without(p.queues[w.queue], w))
	}
	p.mu.Unlock()
	return err
}

// enqueue queues w behind what blocks it: an owner, or "" for the pool
// being full, where an owner with nothing waiting joins the end of the
// round.
func (p *Pool) enqueue(w *waiter, blocker string) {
	w.queue = blocker
	if blocker != "" {
		p.queues[blocker] = append(p.queues[blocker], w)
		return
	}
	k := turnOf(w)
	if len(p.full[k]) == 0 {
		p.turns = append(p.turns, k)
	}
	p.full[k] = append(p.full[k], w)
}

// leaveFull takes w out of the waiters for the pool being full.
func (p *Pool) leaveFull(w *waiter) {
	k := turnOf(w)
	if q := without(p.full[k], w); len(q) > 0 {
		p.full[k] = q
		return
	}
	delete(p.full, k)
	p.turns = without(p.turns, k)
}

// turnOf is whose turn a waiter waits for: its first owner.
func turnOf(w *waiter) string {
	if len(w.owners) == 0 {
		return ""
	}
	return w.owners[0]
}

func without[T comparable](s []T, v T) []T {
	for i := range s {
		if s[i] == v {
			return append(s[:i:i], s[i+1:]...)
		}
	}
	return s
}

// TryAcquire takes n units for owners if they are free now, without
// waiting: the common case, which needs no deadline made for it.
func (p *Pool) TryAcquire(n int64, owners ...string) bool {
	if p == nil {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, blocked := p.blocker(n, owners); blocked || n > p.each {
		return false
	}
	p.take(n, owners)
	return true
}

// blocker names what keeps n units from owners: "" for the pool being
// full, or the first owner at its share.
func (p *Pool) blocker(n int64, owners []string) (string, bool) {
	if p.used+n > p.total {
		return "", true
	}
	for _, o := range owners {
		if p.held[o]+n > p.shareOf(o) {
			return o, true
		}
	}
	return "", false
}

// shareOf is the most owner may hold now: its share of what the others
// leave, at least one unit while any is free to it, at most Each. An owner
// holding nothing may take whatever is free up to Each, so one large ask
// (a body's bytes) is not refused beside a flood while it holds nothing.
func (p *Pool) shareOf(owner string) int64 {
	held := p.held[owner]
	if held == 0 {
		return min(p.total-p.used, p.each)
	}
	left := p.total - (p.used - held)
	return min(max(int64(math.Ceil(float64(left)*p.share)), 1), p.each)
}

func (p *Pool) take(n int64, owners []string) {
	p.used += n
	for _, o := range owners {
		p.held[o] += n
	}
}

func (p *Pool) setQueue(key string, q []*waiter) {
	if len(q) == 0 {
		delete(p.queues, key)
		return
	}
	p.queues[key] = q
}

// Release gives back what Acquire took for the same owners, handing it to
// the waiters it unblocks, oldest first.
func (p *Pool) Release(n int64, owners ...string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.used -= n
	for _, o := range owners {
		if p.held[o] -= n; p.held[o] <= 0 {
			delete(p.held, o)
		}
	}
	p.wakeFull()
	// What was freed raises every owner's share, not only these owners':
	// each queue waiting on its owner's share may move.
	for _, o := range slices.Collect(maps.Keys(p.queues)) {
		p.wake(o)
	}
}

// wakeFull grants the waiters for the pool being full while they fit,
// the owner whose turn it is first, one a turn; a waiter now blocked by an
// owner at its share moves to that owner's queue.
func (p *Pool) wakeFull() {
	for len(p.turns) > 0 {
		k := p.turns[0]
		w := p.full[k][0]
		blocker, blocked := p.blocker(w.n, w.owners)
		if blocked && blocker == "" {
			return
		}
		p.turns = p.turns[1:]
		if q := p.full[k][1:]; len(q) > 0 {
			p.full[k] = q
			p.turns = append(p.turns, k)
		} else {
			delete(p.full, k)
		}
		if blocked {
			p.enqueue(w, blocker)
			continue
		}
		p.grant(w)
	}
}

// grant gives a waiter what it waits for and wakes it.
func (p *Pool) grant(w *waiter) {
	p.take(w.n, w.owners)
	w.granted = true
	close(w.ready)
}

// wake grants the head of an owner's queue while it fits; a waiter now
// blocked by something else moves to that queue.
func (p *Pool) wake(key string) {
	for q := p.queues[key]; len(q) > 0; q = p.queues[key] {
		w := q[0]
		blocker, blocked := p.blocker(w.n, w.owners)
		if blocked && blocker == key {
			return
		}
		p.setQueue(key, q[1:])
		if blocked {
			p.enqueue(w, blocker)
			continue
		}
		p.grant(w)
	}
}

// Held is what an owner holds now.
func (p *Pool) Held(owner string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held[owner]
}

// Account is what one request holds of a pool for its owners, taken as
// the request goes (a LinkedIn answer as it arrives) and given back at
// once when the request ends. A nil Account holds nothing.
type Account struct {
	pool   *Pool
	owners []string
	mu     sync.Mutex
	held   int64
}

// Account opens an account of p for owners; Close gives back what it took.
func (p *Pool) Account(owners ...string) *Account {
	return &Account{pool: p, owners: owners}
}

// Take takes n more units, waiting as Acquire does until ctx ends.
func (a *Account) Take(ctx context.Context, n int64) error {
	if a == nil || a.pool == nil || n <= 0 {
		return nil
	}
	if !a.pool.TryAcquire(n, a.owners...) {
		if err := a.pool.Acquire(ctx, n, a.owners...); err != nil {
			return err
		}
	}
	a.mu.Lock()
	a.held += n
	a.mu.Unlock()
	return nil
}

// Close gives back everything the account took.
func (a *Account) Close() {
	if a == nil {
		return
	}
	a.mu.Lock()
	n := a.held
	a.held = 0
	a.mu.Unlock()
	if n > 0 {
		a.pool.Release(n, a.owners...)
	}
}

type accountKey struct{}

// WithAccount is ctx carrying the request's account, for what the request
// takes deep down (the proxy reading LinkedIn's answer).
func WithAccount(ctx context.Context, a *Account) context.Context {
	return context.WithValue(ctx, accountKey{}, a)
}

// AccountFrom is the account ctx carries, or nil.
func AccountFrom(ctx context.Context) *Account {
	a, _ := ctx.Value(accountKey{}).(*Account)
	return a
}
