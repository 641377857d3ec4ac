// Package workers runs work on a fixed number of goroutines.
//
// The server runs executes here rather than on each connection's goroutine:
// a goroutine keeps the stack its deepest call grew to, so a thousand
// callers each doing the work would hold a thousand deep stacks, where a
// thousand callers waiting their turn hold shallow ones. The bound also
// caps how much work, and memory, is in flight at once.
package workers

import (
	"context"
	"errors"
	"sync"
)

// ErrClosed is what Do returns once the pool is closed.
var ErrClosed = errors.New("workers: pool closed")

// Pool is a fixed set of worker goroutines.
type Pool struct {
	jobs chan func()
	quit chan struct{}
	stop sync.Once
}

// New starts n workers.
func New(n int) *Pool {
	p := &Pool{jobs: make(chan func()), quit: make(chan struct{})}
	for range n {
		go func() {
			for {
				select {
				case job := <-p.jobs:
					job()
				case <-p.quit:
					return
				}
			}
		}()
	}
	return p
}

// Do runs f on a worker and returns once f has. It returns ctx's error,
// having run nothing, when ctx ends before a worker is free. A panic in f
// is raised again in the caller, where the HTTP server's recovery is.
func (p *Pool) Do(ctx context.Context, f func()) error {
	panicked := make(chan any, 1)
	job := func() {
		defer func() { panicked <- recover() }()
		f()
	}
	select {
	case p.jobs <- job:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.quit:
		return ErrClosed
	}
	if v := <-panicked; v != nil {
		panic(v)
	}
	return nil
}

// Close stops the workers once they finish what they run; Do then runs
// nothing and returns ErrClosed.
func (p *Pool) Close() { p.stop.Do(func() { close(p.quit) }) }
