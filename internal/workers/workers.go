// Package workers runs work on a fixed number of goroutines.
//
// The server runs executes here rather than on each connection's goroutine:
// a goroutine keeps the stack its deepest call grew to, so a thousand
// callers each doing the work would hold a thousand deep stacks, where a
// thousand callers waiting their turn hold shallow ones. The bound also
// caps how much work, and memory, is in flight at once.
//
// Waiting work takes turns by owner (a workspace): each owner's jobs wait
// in a queue of their own, oldest first, and a worker that frees up takes
// the next job of the owner whose turn it is, round robin over the owners
// with jobs waiting. An owner that starts waiting joins the end of the
// round. Every turn is one job, since executes cost about the same; a
// workspace with a thousand jobs waiting thus delays another's lone job by
// at most one job per worker, not by the thousand. The turns waste
// nothing: an owner waiting alone gets every worker that frees up.
package workers

import (
	"context"
	"errors"
	"sync"
)

// ErrClosed is what Do returns once the pool is closed.
var ErrClosed = errors.New("workers: pool closed")

// Pool is a fixed set of worker goroutines serving waiting owners in turn.
type Pool struct {
	quit chan struct{}
	stop sync.Once

	mu     sync.Mutex
	cond   sync.Cond // a worker waits on it for a job
	closed bool
	ring
}

// ring is the jobs waiting, in a queue per owner, and whose turn is next.
type ring struct {
	waiting int
	queues  map[string]*queue
	// turn is the queue whose turn is next, in a ring of the queues with
	// jobs waiting; nil when none waits.
	turn *queue
	// spare is a queue that emptied, kept for the next owner to wait.
	spare *queue
}

// queue is one owner's waiting jobs, oldest first, and its place in the
// ring of turns.
type queue struct {
	owner      string
	head, tail *job
	prev, next *queue
}

// job is a caller's work, queued until a worker takes it. Its caller
// waits on done (a shallow stack) for what f raised, if anything.
type job struct {
	f          func()
	q          *queue // nil once a worker took it, or its caller left
	prev, next *job
	done       chan any
}

// New starts n workers.
func New(n int) *Pool {
	p := &Pool{quit: make(chan struct{}), ring: ring{queues: map[string]*queue{}}}
	p.cond.L = &p.mu
	for range n {
		go p.work()
	}
	return p
}

func (p *Pool) work() {
	for {
		p.mu.Lock()
		for p.turn == nil && !p.closed {
			p.cond.Wait()
		}
		if p.closed {
			p.mu.Unlock()
			return
		}
		j := p.next()
		p.mu.Unlock()
		run(j)
	}
}

// run runs a job, handing its caller what it raised.
func run(j *job) {
	defer func() { j.done <- recover() }()
	j.f()
}

// Do runs f on a worker, in the turn of the owner "", and returns once f
// has: see DoFor.
func (p *Pool) Do(ctx context.Context, f func()) error { return p.DoFor(ctx, "", f) }

// DoFor runs f on a worker, in owner's turn, and returns once f has. It
// returns ctx's error, having run nothing, when ctx ends before a worker
// takes f, and ErrClosed when the pool closes first. A panic in f is
// raised again in the caller, where the HTTP server's recovery is.
func (p *Pool) DoFor(ctx context.Context, owner string, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &job{f: f, done: make(chan any, 1)}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.enqueue(owner, j)
	p.mu.Unlock()
	p.cond.Signal()
	var err error
	select {
	case v := <-j.done:
		return raise(v)
	case <-ctx.Done():
		err = ctx.Err()
	case <-p.quit:
		err = ErrClosed
	}
	p.mu.Lock()
	if j.q != nil { // still waiting: leave without running
		p.remove(j)
		p.mu.Unlock()
		return err
	}
	p.mu.Unlock()
	return raise(<-j.done) // a worker took it: it runs to the end
}

func raise(v any) error {
	if v != nil {
		panic(v)
	}
	return nil
}

// enqueue puts j at the back of owner's queue; an owner that had nothing
// waiting joins the ring at the end of the round, just before the turn.
func (p *ring) enqueue(owner string, j *job) {
	q := p.queues[owner]
	if q == nil {
		if q = p.spare; q != nil {
			p.spare, q.owner = nil, owner
		} else {
			q = &queue{owner: owner}
		}
		p.queues[owner] = q
		if p.turn == nil {
			q.prev, q.next = q, q
			p.turn = q
		} else {
			q.prev, q.next = p.turn.prev, p.turn
			q.prev.next, p.turn.prev = q, q
		}
	}
	j.q = q
	p.waiting++
	if q.tail == nil {
		q.head = j
	} else {
		j.prev, q.tail.next = q.tail, j
	}
	q.tail = j
}

// next takes the oldest job of the owner whose turn it is and passes the
// turn on. p.turn is not nil.
func (p *ring) next() *job {
	q := p.turn
	j := q.head
	p.turn = q.next
	p.remove(j)
	return j
}

// remove takes a job out of its queue, and a queue left empty out of the
// ring.
func (p *ring) remove(j *job) {
	q := j.q
	if j.prev == nil {
		q.head = j.next
	} else {
		j.prev.next = j.next
	}
	if j.next == nil {
		q.tail = j.prev
	} else {
		j.next.prev = j.prev
	}
	j.q, j.prev, j.next = nil, nil, nil
	p.waiting--
	if q.head != nil {
		return
	}
	delete(p.queues, q.owner)
	if q.next == q {
		p.turn = nil
	} else {
		q.prev.next, q.next.prev = q.next, q.prev
		if p.turn == q {
			p.turn = q.next
		}
	}
	*q = queue{}
	p.spare = q
}

// Waiting is how many calls wait for a worker now.
func (p *Pool) Waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting
}

// Close stops the workers once they finish what they run; Do then runs
// nothing and returns ErrClosed, as do the calls still waiting.
func (p *Pool) Close() {
	p.stop.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.cond.Broadcast()
		close(p.quit)
	})
}
