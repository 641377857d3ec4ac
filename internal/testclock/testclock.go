// Package testclock is a clock tests move by hand, so nothing waits on
// real time.
package testclock

import (
	"sync"
	"time"
)

// Clock is a time that moves only when told to.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New starts a clock at now.
func New(now time.Time) *Clock { return &Clock{now: now} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
