// Package share rations a bounded resource among the workspaces and
// datasources that use it, so that one of them misbehaving (a flood, slow
// bodies, huge uploads) cannot take what the others need.
//
// A Pool has a total and a share: no single owner may hold more than the
// share of the total at once, whatever is free. Callers over their share,
// or finding the pool full, wait their turn until their context ends.
package share

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// Pool is a weighted semaphore with a cap per owner. A nil Pool rations
// nothing: every Acquire succeeds at once.
type Pool struct {
	total, each int64

	mu   sync.Mutex
	used int64
	held map[string]int64
	// queues hold the waiters by what blocks them: an owner at its share,
	// or "" for the pool being full. A release wakes only the queues it
	// can unblock, so a thousand callers waiting on one busy workspace
	// cost nothing to the calls of another.
	queues map[string][]*waiter
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
	return &Pool{total: total, each: min(max(each, 1), total), held: map[string]int64{}, queues: map[string][]*waiter{}}
}

// Each is the most one owner may hold.
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
	w := &waiter{n: n, owners: owners, queue: blocker, ready: make(chan struct{})}
	p.queues[blocker] = append(p.queues[blocker], w)
	p.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	if w.granted {
		p.mu.Unlock()
		p.Release(n, owners...)
		return ctx.Err()
	}
	q := p.queues[w.queue]
	for i := range q {
		if q[i] == w {
			p.setQueue(w.queue, append(q[:i:i], q[i+1:]...))
			break
		}
	}
	p.mu.Unlock()
	return ctx.Err()
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
		if p.held[o]+n > p.each {
			return o, true
		}
	}
	return "", false
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
	for _, o := range owners {
		p.wake(o)
	}
	p.wake("")
}

// wake grants the head of a queue while it fits; a waiter now blocked by
// something else moves to that queue.
func (p *Pool) wake(key string) {
	for q := p.queues[key]; len(q) > 0; q = p.queues[key] {
		w := q[0]
		blocker, blocked := p.blocker(w.n, w.owners)
		if blocked && blocker == key {
			return
		}
		p.setQueue(key, q[1:])
		if blocked {
			w.queue = blocker
			p.queues[blocker] = append(p.queues[blocker], w)
			continue
		}
		p.take(w.n, w.owners)
		w.granted = true
		close(w.ready)
	}
}

// Held is what an owner holds now.
func (p *Pool) Held(owner string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held[owner]
}
