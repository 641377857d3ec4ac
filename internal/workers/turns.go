package workers

import (
	"context"
	"sync"
	"time"
)

// Turns shares the server's CPU between owners (workspaces).
//
// The execute workers bound how many executes are in flight, but an
// execute spends most of its life waiting on LinkedIn, so there are many
// more workers than cores; and Go's scheduler runs whatever is runnable in
// the order it became so. A workspace flooding the server thus keeps dozens
// of goroutines runnable, and another workspace's lone request waits
// behind all of them at every step. Turns holds the CPU-bound part of an
// execute to a few at once (about one per core), served round robin by
// owner like the workers: a quiet workspace's request waits for at most
// one turn of each busy owner, not for the busy owner's whole backlog,
// while the busy owner still gets every turn nobody else wants.
//
// A turn is held while the execute computes and given up while it waits:
// around a call to LinkedIn, a shared read, an Idempotency-Key's earlier
// request (Outside). A wait that was missed, or a holder stuck on the
// CPU for long, must not stop the others: a turn held longer than the
// stall is lent past the limit to the next owner waiting, and the extra
// turn is taken back when the holder ends.
//
// Turns are only for sharing: while a single owner has executes under way,
// it takes as many turns as it asks for, at once. Taking turns in order
// cost an owner alone about a twentieth of its throughput (two waits and
// wake-ups per execute) and gave it nothing. When a second owner starts an
// execute, the limit holds again: the turns taken past it are taken back
// as they end, before any is handed on, so the newcomer waits for at most
// the computing its predecessor had started.
type Turns struct {
	stall time.Duration

	mu sync.Mutex
	ring
	free    int
	holders []*Turn
	// active counts each owner's executes between Take and End, whether
	// they hold a turn, wait for one or wait Outside.
	active map[string]int
	// lent is how many turns run past the limit for holders that held
	// theirs longer than the stall.
	lent     int
	sweeping bool
	now      func() time.Time
}

// Turn is an owner's right to compute. Its methods are for the goroutine
// that entered it.
type Turn struct {
	g     *Turns
	owner string
	held  bool
	since time.Time
	// overdue says the turn was lent past its stall: when it ends, the
	// extra turn is taken back instead of given on.
	overdue bool
	// queued is how long the owner waited for its turns, outside how long
	// it spent waiting Outside them.
	queued, outside time.Duration
	// entered says Take counted the execute in its owner's active ones,
	// until End.
	entered bool
}

// Waited is how long t's owner waited for its turns (queued), and how long
// it waited with its turn given up (outside: on LinkedIn, mostly).
func (t *Turn) Waited() (queued, outside time.Duration) {
	if t == nil {
		return 0, 0
	}
	return t.queued, t.outside
}

type turnKey struct{}

// NewTurns allows n turns at once, and lends one more past a turn held
// longer than stall.
func NewTurns(n int, stall time.Duration) *Turns {
	return &Turns{stall: stall, free: max(n, 1), ring: ring{queues: map[string]*queue{}}, active: map[string]int{}, now: time.Now}
}

// Take starts an execute of owner's and waits for its turn. It returns
// ctx's error, holding nothing, when ctx ends first. End ends the execute,
// whatever Take returned. A nil Turns gives turns at once. With puts the
// turn in a context, for Outside to find.
func (g *Turns) Take(ctx context.Context, owner string) (*Turn, error) {
	t := &Turn{g: g, owner: owner}
	if g == nil {
		return t, nil
	}
	g.mu.Lock()
	g.active[owner]++
	t.entered = true
	g.mu.Unlock()
	return t, t.take(ctx)
}

// End gives the turn up, if held, and ends the execute Take started.
func (t *Turn) End() {
	if t == nil || t.g == nil {
		return
	}
	g := t.g
	g.mu.Lock()
	defer g.mu.Unlock()
	t.leave()
	if !t.entered {
		return
	}
	t.entered = false
	if g.active[t.owner]--; g.active[t.owner] <= 0 {
		delete(g.active, t.owner)
	}
}

// With is ctx carrying t.
func With(ctx context.Context, t *Turn) context.Context {
	return context.WithValue(ctx, turnKey{}, t)
}

// Retake waits for the owner's turn again after Leave; it does nothing
// while the turn is held, or on a nil Turn.
func (t *Turn) Retake(ctx context.Context) error {
	if t == nil || t.g == nil || t.held {
		return nil
	}
	return t.take(ctx)
}

// take waits for a turn.
func (t *Turn) take(ctx context.Context) error {
	g := t.g
	g.mu.Lock()
	// Alone, an owner takes a turn past the limit (free below zero).
	if g.turn == nil && (g.free > 0 || len(g.active) == 1 && g.active[t.owner] > 0) {
		g.free--
		t.hold()
		g.mu.Unlock()
		return nil
	}
	j := &job{done: make(chan any, 1)}
	g.enqueue(t.owner, j)
	began := g.now()
	defer func() { t.queued += g.now().Sub(began) }()
	if !g.sweeping && g.stall > 0 {
		g.sweeping = true
		go g.sweep()
	}
	g.mu.Unlock()
	select {
	case <-j.done:
		g.mu.Lock()
		t.hold()
		g.mu.Unlock()
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if j.q != nil { // still waiting
		g.remove(j)
		return ctx.Err()
	}
	// The turn was handed over as ctx ended: pass it on.
	<-j.done
	g.giveBack(false)
	return ctx.Err()
}

// hold records t as holding a turn; g.mu is held.
func (t *Turn) hold() {
	t.held, t.overdue, t.since = true, false, t.g.now()
	t.g.holders = append(t.g.holders, t)
}

// Leave gives the turn up, to the next owner waiting. Leaving a turn not
// held does nothing.
func (t *Turn) Leave() {
	if t == nil || !t.held || t.g == nil {
		return
	}
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	t.leave()
}

// leave gives the turn up if held; g.mu is held.
func (t *Turn) leave() {
	if !t.held {
		return
	}
	g := t.g
	t.held = false
	for i, h := range g.holders {
		if h == t {
			last := len(g.holders) - 1
			g.holders[i], g.holders[last] = g.holders[last], nil
			g.holders = g.holders[:last]
			break
		}
	}
	g.giveBack(t.overdue)
}

// giveBack passes a turn that ended to the owner whose turn is next, or
// frees it; a turn lent past the limit, or taken past it by an owner
// alone, is taken back instead. g.mu is held.
func (g *Turns) giveBack(overdue bool) {
	switch {
	case overdue:
		g.lent--
	case g.free < 0:
		g.free++
	case g.turn != nil:
		g.next().done <- nil
	default:
		g.free++
	}
}

// sweep lends a turn past the limit for each turn held longer than the
// stall, while anyone waits.
func (g *Turns) sweep() {
	for {
		time.Sleep(g.stall / 2)
		g.mu.Lock()
		if g.turn == nil {
			g.sweeping = false
			g.mu.Unlock()
			return
		}
		now := g.now()
		for _, h := range g.holders {
			if g.turn == nil {
				break
			}
			if !h.overdue && now.Sub(h.since) >= g.stall {
				h.overdue = true
				g.lent++
				g.next().done <- nil
			}
		}
		g.mu.Unlock()
	}
}

// Outside runs wait, which waits rather than computes, with ctx's turn
// given up meanwhile, and takes a turn again after. It is a plain call
// without a turn in ctx. Should ctx end before the turn comes back, the
// rest of the work runs without one.
func Outside(ctx context.Context, wait func()) {
	t := From(ctx)
	if t == nil || !t.held {
		wait()
		return
	}
	t.Leave()
	began := t.g.now()
	wait()
	t.outside += t.g.now().Sub(began)
	t.take(ctx)
}

// Holds says whether t holds its turn now.
func (t *Turn) Holds() bool { return t != nil && t.held }

// From is the turn ctx carries, nil for none.
func From(ctx context.Context) *Turn {
	t, _ := ctx.Value(turnKey{}).(*Turn)
	return t
}

// Leave gives up ctx's turn for good, if it carries one: the work left
// (writing the answer) waits on the caller, not the CPU.
func Leave(ctx context.Context) { From(ctx).Leave() }

// Without is ctx without its turn, for work that goes on on a goroutine of
// its own while the turn's holder waits for it.
func Without(ctx context.Context) context.Context {
	if ctx.Value(turnKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, turnKey{}, (*Turn)(nil))
}

// Held is how many turns are held now, lent ones included.
func (g *Turns) Held() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.holders)
}
