package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"pluginserver/internal/ratelimit"
	"pluginserver/internal/testclock"
)

// sleeper stands in for waiting: it records each wait asked for, and
// either returns at once or, when hold is set, blocks until ctx ends.
type sleeper struct {
	mu      sync.Mutex
	waits   []time.Duration
	hold    bool
	entered chan struct{}
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	hold := s.hold
	s.mu.Unlock()
	if !hold {
		return nil
	}
	s.entered <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func (s *sleeper) asked() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

// TestTurns: calls within the burst go at once; the ones after it wait for
// later and later turns, in the order they came, and never get refused
// while they have the time to wait.
func TestTurns(t *testing.T) {
	type call struct {
		key     string
		advance time.Duration // the clock moves this much before the call
	}
	cases := []struct {
		name      string
		rate      float64
		burst     int
		calls     []call
		wantWaits []time.Duration // the waits asked for, in order; none for calls that go at once
	}{
		{"within the burst", 10, 3, []call{{"a", 0}, {"a", 0}, {"a", 0}}, nil},
		{"over the burst, in turn", 2, 1, []call{{"a", 0}, {"a", 0}, {"a", 0}, {"a", 0}},
			[]time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond}},
		{"keys apart", 1, 1, []call{{"a", 0}, {"b", 0}, {"a", 0}}, []time.Duration{time.Second}},
		{"the bucket refills", 2, 2, []call{{"a", 0}, {"a", 0}, {"a", time.Second}, {"a", 0}, {"a", 0}},
			[]time.Duration{500 * time.Millisecond}},
		{"never past the burst", 1, 2, []call{{"a", time.Hour}, {"a", 0}, {"a", 0}}, []time.Duration{time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := testclock.New(time.Unix(1_800_000_000, 0))
			s := &sleeper{}
			l := ratelimit.New(c.rate, c.burst, clk.Now, s.sleep)
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			for i, call := range c.calls {
				clk.Advance(call.advance)
				if err := l.Wait(ctx, call.key); err != nil {
					t.Fatalf("call %d: %v", i+1, err)
				}
			}
			if got := s.asked(); !slices.Equal(got, c.wantWaits) {
				t.Fatalf("waits %v, want %v", got, c.wantWaits)
			}
		})
	}
}

// TestTurnAfterTheDeadline: a call whose turn would come after its deadline
// is refused at once, says how long the wait would be, and takes no turn.
func TestTurnAfterTheDeadline(t *testing.T) {
	clk := testclock.New(time.Unix(1_800_000_000, 0))
	s := &sleeper{}
	l := ratelimit.New(1.0/3600, 1, clk.Now, s.sleep) // one call an hour
	if err := l.Wait(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := l.Wait(short, "a")
	var late *ratelimit.TooLate
	if !errors.As(err, &late) || late.RetryAfter() != time.Hour {
		t.Fatalf("a call that cannot wait long enough: %v", err)
	}
	if len(s.asked()) != 0 {
		t.Fatalf("the refused call waited: %v", s.asked())
	}
	// Without a deadline the next call gets the turn the refused one did
	// not take.
	if err := l.Wait(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if got := s.asked(); !slices.Equal(got, []time.Duration{time.Hour}) {
		t.Fatalf("waits %v: the refused call kept a turn", got)
	}
}

// TestHangUpGivesTheTurnBack: a caller that goes away while waiting frees
// its turn for the next one.
func TestHangUpGivesTheTurnBack(t *testing.T) {
	clk := testclock.New(time.Unix(1_800_000_000, 0))
	s := &sleeper{hold: true, entered: make(chan struct{})}
	l := ratelimit.New(1.0/3600, 1, clk.Now, s.sleep)
	if err := l.Wait(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	ctx, hangUp := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Wait(ctx, "a") }()
	<-s.entered
	hangUp()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller hung up: %v", err)
	}
	s.mu.Lock()
	s.hold = false
	s.mu.Unlock()
	if err := l.Wait(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if got := s.asked(); !slices.Equal(got, []time.Duration{time.Hour, time.Hour}) {
		t.Fatalf("waits %v: the next caller did not get the freed turn", got)
	}
}

// TestConcurrentCallersAllGetTurns: many callers at once each get their
// own turn; none is refused and no two share one.
func TestConcurrentCallersAllGetTurns(t *testing.T) {
	clk := testclock.New(time.Unix(1_800_000_000, 0))
	s := &sleeper{}
	l := ratelimit.New(10, 5, clk.Now, s.sleep)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- l.Wait(context.Background(), "a")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := s.asked()
	slices.Sort(got)
	if len(got) != 45 {
		t.Fatalf("%d callers waited, want 45 (50 less the burst of 5)", len(got))
	}
	for i, d := range got {
		if want := time.Duration(i+1) * 100 * time.Millisecond; d != want {
			t.Fatalf("turn %d at %v, want %v", i+1, d, want)
		}
	}
}

// TestForgetsIdleKeys: keys whose bucket has filled up again are
// forgotten, so memory follows the busy keys, not every key ever seen.
func TestForgetsIdleKeys(t *testing.T) {
	clk := testclock.New(time.Unix(1_800_000_000, 0))
	l := ratelimit.New(1, 1, clk.Now, (&sleeper{}).sleep)
	for i := range 5000 {
		l.Wait(context.Background(), fmt.Sprint("key", i))
		clk.Advance(10 * time.Millisecond)
	}
	if n := l.Len(); n > 2100 {
		t.Fatalf("%d keys remembered after 5000 keys each used once", n)
	}
}
