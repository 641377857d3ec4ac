package share

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestShares(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name       string
		total      int64
		share      float64
		held       [][]string // units of one taken first, per owner list
		ask        []string
		n          int64
		wantsToRun bool
	}{
		{"free pool", 4, 0.5, nil, []string{"a"}, 1, true},
		{"owner at its share", 4, 0.5, [][]string{{"a"}, {"a"}}, []string{"a"}, 1, false},
		{"another owner beside it", 4, 0.5, [][]string{{"a"}, {"a"}}, []string{"b"}, 1, true},
		{"a second owner's share is of what the first left", 4, 0.5, [][]string{{"a"}, {"a"}, {"b"}}, []string{"b"}, 1, false},
		{"a third owner beside two", 4, 0.5, [][]string{{"a"}, {"a"}, {"b"}}, []string{"c"}, 1, true},
		{"pool full", 4, 0.5, [][]string{{"a"}, {"a"}, {"b"}, {"c"}}, []string{"d"}, 1, false},
		{"an owner holding nothing takes what is free up to its share alone", 8, 0.5, [][]string{{"a"}, {"a"}, {"a"}, {"a"}}, []string{"b"}, 4, true},
		{"beyond what is free it waits", 8, 0.5, [][]string{{"a"}, {"a"}, {"a"}, {"a"}, {"c"}}, []string{"b"}, 4, false},
		{"datasource at its share though its workspace is not", 8, 0.25, [][]string{{"ws", "ds1"}, {"ws", "ds1"}}, []string{"ws", "ds1"}, 1, false},
		{"the workspace's other datasource", 8, 0.25, [][]string{{"ws", "ds1"}}, []string{"ws", "ds2"}, 1, true},
		{"a share is at least one unit", 4, 0.01, nil, []string{"a"}, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := New(c.total, c.share)
			for _, owners := range c.held {
				if err := p.Acquire(ctx, 1, owners...); err != nil {
					t.Fatal(err)
				}
			}
			short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			err := p.Acquire(short, c.n, c.ask...)
			if (err == nil) != c.wantsToRun {
				t.Fatalf("Acquire: %v, want it to run: %v", err, c.wantsToRun)
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a waiter whose context ends gets its error, got %v", err)
			}
		})
	}
}

// Greedy owners, each taking all it may, leave some of the pool to the
// next: with a share of one half, the first holds a half, the second a
// quarter, and a third that holds nothing gets a unit at once; what the
// others release raises a waiting owner's share.
func TestSharesAreOfWhatOthersLeave(t *testing.T) {
	p := New(64, 0.5)
	grab := func(owner string) int {
		n := 0
		for p.TryAcquire(1, owner, owner+"-ds") {
			n++
		}
		return n
	}
	if a, b := grab("a"), grab("b"); a != 32 || b != 16 {
		t.Fatalf("greedy owners took %d and %d, want 32 and 16", a, b)
	}
	if !p.TryAcquire(1, "c", "c-ds") {
		t.Fatal("an owner holding nothing got no unit beside two greedy ones")
	}
	if c := 1 + grab("c"); c != 8 {
		t.Fatalf("the third took %d, want 8", c)
	}
	// b waits at its share; a's release raises it.
	done := make(chan error, 1)
	go func() { done <- p.Acquire(context.Background(), 1, "b", "b-ds") }()
	waitFor(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.queues) == 1 })
	// b's share is half of what a and c leave: 64 - (24 + 8) = 32 leaves
	// it 16, which it holds; at a's ninth release it is 17.
	for range 8 {
		p.Release(1, "a", "a-ds")
	}
	p.mu.Lock()
	waiting := len(p.queues["b"])
	p.mu.Unlock()
	if waiting != 1 {
		t.Fatal("b went over its share")
	}
	p.Release(1, "a", "a-ds")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestTooLargeIsRefusedAtOnce(t *testing.T) {
	p := New(10, 0.5)
	var tooLarge *ErrTooLarge
	if err := p.Acquire(context.Background(), 6, "a"); !errors.As(err, &tooLarge) || tooLarge.Each != 5 {
		t.Fatalf("got %v", err)
	}
}

func TestReleaseHandsOnInOrder(t *testing.T) {
	p := New(2, 0.5)
	ctx := context.Background()
	p.Acquire(ctx, 1, "a")
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Acquire(ctx, 1, "a")
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			p.Release(1, "a")
		}()
		waitFor(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.queues["a"]) == i+1 })
	}
	p.Release(1, "a")
	wg.Wait()
	if len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2 {
		t.Fatalf("waiters ran in order %v", order)
	}
	if p.used != 0 || len(p.held) != 0 || len(p.queues) != 0 {
		t.Fatalf("left over: used %d held %v queues %v", p.used, p.held, p.queues)
	}
}

// A waiter that gives up holds nothing and is not handed anything later.
func TestCancelledWaiterLeavesNothing(t *testing.T) {
	p := New(1, 1)
	ctx := context.Background()
	p.Acquire(ctx, 1, "a")
	gone, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- p.Acquire(gone, 1, "b") }()
	waitFor(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.full["b"]) == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	p.Release(1, "a")
	if p.used != 0 || len(p.held) != 0 || len(p.queues) != 0 || len(p.full) != 0 || len(p.turns) != 0 {
		t.Fatalf("left over: used %d held %v queues %v full %v turns %v", p.used, p.held, p.queues, p.full, p.turns)
	}
}

// A waiter whose time passes holds nothing and is not handed anything
// later; one whose units come in time gets them, and one that need not
// wait starts no timer to wait on.
func TestAcquireWithin(t *testing.T) {
	p := New(1, 1)
	ctx := context.Background()
	if err := p.AcquireWithin(ctx, time.Nanosecond, 1, "a"); err != nil {
		t.Fatalf("free units: %v", err)
	}
	if err := p.AcquireWithin(ctx, time.Millisecond, 1, "b"); !errors.Is(err, ErrWaitedTooLong) {
		t.Fatalf("waited past its time: %v", err)
	}
	if p.used != 1 || len(p.full) != 0 || len(p.turns) != 0 || len(p.queues) != 0 {
		t.Fatalf("left over: used %d held %v queues %v full %v turns %v", p.used, p.held, p.queues, p.full, p.turns)
	}
	done := make(chan error)
	go func() { done <- p.AcquireWithin(ctx, time.Hour, 1, "b") }()
	waitFor(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.full["b"]) == 1 })
	p.Release(1, "a")
	if err := <-done; err != nil || p.held["b"] != 1 {
		t.Fatalf("in time: %v, held %v", err, p.held)
	}
}

// TestFullPoolTakesTurns: when the pool is full, the units freed go to
// the workspaces waiting in turn, one each, each one's calls oldest
// first; the order is checked, never the time.
func TestFullPoolTakesTurns(t *testing.T) {
	tests := []struct {
		name     string
		enqueued []string // workspaces, in the order their calls queue
		want     string
	}{
		{"a lone call beside many", []string{"a", "a", "a", "a", "b"}, "abaaa"},
		{"three workspaces interleave", []string{"a", "a", "b", "b", "c", "c"}, "abcabc"},
		{"uneven", []string{"a", "a", "a", "b", "c", "c"}, "abcaca"},
		{"one workspace alone", []string{"a", "a", "a"}, "aaa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(1, 1)
			ctx := context.Background()
			p.Acquire(ctx, 1, "x")
			var mu sync.Mutex
			var order []byte
			var wg sync.WaitGroup
			for i, ws := range tt.enqueued {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := p.Acquire(ctx, 1, ws, ws+"-ds"); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					order = append(order, ws[0])
					mu.Unlock()
					p.Release(1, ws, ws+"-ds")
				}()
				waitFor(t, func() bool {
					p.mu.Lock()
					defer p.mu.Unlock()
					n := 0
					for _, q := range p.full {
						n += len(q)
					}
					return n == i+1
				})
			}
			p.Release(1, "x")
			wg.Wait()
			if string(order) != tt.want {
				t.Fatalf("granted in order %s, want %s", order, tt.want)
			}
			if p.used != 0 || len(p.held) != 0 || len(p.queues) != 0 || len(p.full) != 0 || len(p.turns) != 0 {
				t.Fatalf("left over: used %d held %v queues %v full %v turns %v", p.used, p.held, p.queues, p.full, p.turns)
			}
		})
	}
}

// A flood from one owner never holds more than its share, and another
// owner's calls go through beside it.
func TestFloodKeepsToItsShare(t *testing.T) {
	p := New(8, 0.5)
	ctx, cancel := context.WithCancel(context.Background())
	var running, peak atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if p.Acquire(ctx, 1, "flood", "flood-ds") != nil {
					return
				}
				n := running.Add(1)
				for {
					old := peak.Load()
					if n <= old || peak.CompareAndSwap(old, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				running.Add(-1)
				p.Release(1, "flood", "flood-ds")
			}
		}()
	}
	for range 50 {
		short, stop := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.Acquire(short, 1, "quiet", "quiet-ds"); err != nil {
			t.Fatalf("the quiet owner waited: %v", err)
		}
		p.Release(1, "quiet", "quiet-ds")
		stop()
	}
	cancel()
	wg.Wait()
	if peak.Load() > 4 {
		t.Fatalf("the flood held %d of 8 at once, its share is 4", peak.Load())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("condition never held")
}

func TestTryAcquireAndNil(t *testing.T) {
	p := New(2, 0.5)
	if !p.TryAcquire(1, "a") || p.TryAcquire(1, "a") || !p.TryAcquire(1, "b") || p.TryAcquire(1, "c") || p.TryAcquire(3, "d") {
		t.Fatal("TryAcquire takes what is free now, and only that")
	}
	var none *Pool
	if !none.TryAcquire(5, "a") || none.Acquire(context.Background(), 5, "a") != nil {
		t.Fatal("a nil pool rations nothing")
	}
	none.Release(5, "a")
}

// An account takes for its owners as a request goes and gives everything
// back at once; a nil pool's account holds nothing.
func TestAccount(t *testing.T) {
	p := New(10, 0.5)
	a := p.Account("ws", "ds")
	ctx := context.Background()
	if err := a.Take(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := a.Take(ctx, 3); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := a.Take(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past the owner's share: %v", err)
	}
	if p.Held("ws") != 5 || p.Held("ds") != 5 {
		t.Fatalf("held %d and %d, want 5", p.Held("ws"), p.Held("ds"))
	}
	a.Close()
	if p.Held("ws") != 0 || p.used != 0 {
		t.Fatalf("left held %d, used %d", p.Held("ws"), p.used)
	}
	var none *Pool
	if err := none.Account("ws").Take(ctx, 1<<40); err != nil {
		t.Fatal(err)
	}
	if AccountFrom(WithAccount(ctx, a)) != a || AccountFrom(ctx) != nil {
		t.Fatal("the account does not travel in the context")
	}
}
