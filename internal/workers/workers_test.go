package workers_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"pluginserver/internal/workers"
)

func TestAtMostNAtOnce(t *testing.T) {
	const n = 3
	p := workers.New(n)
	defer p.Close()
	var running, most atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Do(context.Background(), func() {
				now := running.Add(1)
				for old := most.Load(); now > old && !most.CompareAndSwap(old, now); old = most.Load() {
				}
				started <- struct{}{}
				<-release
				running.Add(-1)
			})
		}()
	}
	for range n {
		<-started
	}
	close(release)
	wg.Wait()
	if most.Load() != n {
		t.Fatalf("%d ran at once, want %d", most.Load(), n)
	}
}

func TestWaitEndsWithTheContext(t *testing.T) {
	p := workers.New(1)
	defer p.Close()
	release := make(chan struct{})
	busy := make(chan struct{})
	go p.Do(context.Background(), func() { close(busy); <-release })
	<-busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := p.Do(ctx, func() { ran = true }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("err = %v, ran = %v; want context.Canceled and nothing run", err, ran)
	}
	close(release)
	if err := p.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("after the worker is free: err = %v, ran = %v", err, ran)
	}
}

func TestPanicReachesTheCaller(t *testing.T) {
	p := workers.New(1)
	defer p.Close()
	defer func() {
		if v := recover(); v != "boom" {
			t.Fatalf("recovered %v, want boom", v)
		}
		// The worker survived the panic.
		if err := p.Do(context.Background(), func() {}); err != nil {
			t.Fatal(err)
		}
	}()
	p.Do(context.Background(), func() { panic("boom") })
	t.Fatal("Do returned after a panic")
}

func TestClosedPoolRunsNothing(t *testing.T) {
	p := workers.New(0) // no worker could take the job: only the close ends Do
	p.Close()
	p.Close()
	ran := false
	if err := p.Do(context.Background(), func() { ran = true }); !errors.Is(err, workers.ErrClosed) || ran {
		t.Fatalf("err = %v, ran = %v; want ErrClosed and nothing run", err, ran)
	}
}

// TestTurns: with one worker busy, callers of several owners queue; once
// it frees up, the owners take turns, one job each, each owner's jobs
// oldest first, and a caller whose context ended is skipped. The order is
// what is checked, never the time.
func TestTurns(t *testing.T) {
	hundred := make([]string, 100)
	for i := range hundred {
		hundred[i] = "a"
	}
	tests := []struct {
		name      string
		enqueued  []string // owners, in the order their calls queue
		cancelled []int    // indexes into enqueued whose context ends
		want      []int    // indexes into enqueued, in the order run
	}{
		{name: "a lone job beside a hundred", enqueued: append(hundred, "b"),
			want: append([]int{0, 100}, seq(1, 99)...)},
		{name: "three owners interleave", enqueued: []string{"a", "a", "a", "b", "b", "b", "c", "c", "c"},
			want: []int{0, 3, 6, 1, 4, 7, 2, 5, 8}},
		{name: "queued interleaved", enqueued: []string{"a", "b", "a", "c", "b", "a"},
			want: []int{0, 1, 3, 2, 4, 5}},
		{name: "uneven queues", enqueued: []string{"a", "a", "a", "b", "c", "c"},
			want: []int{0, 3, 4, 1, 5, 2}},
		{name: "a cancelled waiter is skipped", enqueued: []string{"a", "a", "a", "b"}, cancelled: []int{1},
			want: []int{0, 3, 2}},
		{name: "an owner whose only waiter left loses its turn", enqueued: []string{"a", "a", "b", "c"}, cancelled: []int{2},
			want: []int{0, 3, 1}},
		{name: "everyone left", enqueued: []string{"a", "b"}, cancelled: []int{0, 1}},
		{name: "one owner alone, oldest first", enqueued: []string{"a", "a", "a", "a"},
			want: []int{0, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := workers.New(1)
			defer p.Close()
			release, busy := make(chan struct{}), make(chan struct{})
			go p.DoFor(context.Background(), "busy", func() { close(busy); <-release })
			<-busy

			var mu sync.Mutex
			var ran []int
			errs := make([]chan error, len(tt.enqueued))
			cancels := make([]context.CancelFunc, len(tt.enqueued))
			for i, owner := range tt.enqueued {
				ctx, cancel := context.WithCancel(context.Background())
				cancels[i], errs[i] = cancel, make(chan error, 1)
				go func() {
					errs[i] <- p.DoFor(ctx, owner, func() { mu.Lock(); ran = append(ran, i); mu.Unlock() })
				}()
				waitFor(t, p, i+1) // queued in this order
			}
			for _, i := range tt.cancelled {
				cancels[i]()
				if err := <-errs[i]; !errors.Is(err, context.Canceled) {
					t.Fatalf("call %d: %v, want context.Canceled", i, err)
				}
			}
			waitFor(t, p, len(tt.enqueued)-len(tt.cancelled))
			close(release)
			for i := range tt.enqueued {
				if !slices.Contains(tt.cancelled, i) {
					if err := <-errs[i]; err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
				}
				cancels[i]()
			}
			if !slices.Equal(ran, tt.want) {
				t.Fatalf("ran %v, want %v", ran, tt.want)
			}
		})
	}
}

// TestTheLoneJobRunsWithinTwo: a workspace's lone job queued behind a
// hundred of another's runs within the first two jobs after it queued.
func TestTheLoneJobRunsWithinTwo(t *testing.T) {
	p := workers.New(1)
	defer p.Close()
	release, busy := make(chan struct{}), make(chan struct{})
	go p.DoFor(context.Background(), "flood", func() { close(busy); <-release })
	<-busy
	var mu sync.Mutex
	var ran []string
	var wg sync.WaitGroup
	call := func(owner string) {
		defer wg.Done()
		p.DoFor(context.Background(), owner, func() { mu.Lock(); ran = append(ran, owner); mu.Unlock() })
	}
	wg.Add(101)
	for range 100 {
		go call("flood")
	}
	waitFor(t, p, 100)
	go call("quiet")
	waitFor(t, p, 101)
	close(release)
	wg.Wait()
	if i := slices.Index(ran, "quiet"); i < 0 || i > 1 {
		t.Fatalf("the quiet job ran %dth of %d", i+1, len(ran))
	}
}

// TestOneOwnerGetsEveryWorker: the turns are work-conserving; an owner
// waiting alone is given every worker, and when another owner's job ends,
// its worker goes to the one still waiting.
func TestOneOwnerGetsEveryWorker(t *testing.T) {
	const n = 4
	p := workers.New(n)
	defer p.Close()
	release := make(chan struct{})
	started := make(chan string, 3*n)
	var wg sync.WaitGroup
	do := func(owner string, hold bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.DoFor(context.Background(), owner, func() {
				started <- owner
				if hold {
					<-release
				}
			})
		}()
	}
	// Another owner held one worker and let it go; the flood then takes
	// all n while nobody else waits.
	do("other", false)
	<-started
	for range 2 * n {
		do("flood", true)
	}
	for range n {
		if owner := <-started; owner != "flood" {
			t.Fatalf("%s started", owner)
		}
	}
	waitFor(t, p, n) // the other n wait: all n workers are the flood's
	close(release)
	wg.Wait()
}

func TestClosingEndsTheWait(t *testing.T) {
	p := workers.New(1)
	release, busy := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- p.DoFor(context.Background(), "a", func() { close(busy); <-release }) }()
	<-busy
	waiting := make(chan error, 1)
	ran := false
	go func() { waiting <- p.DoFor(context.Background(), "b", func() { ran = true }) }()
	waitFor(t, p, 1)
	p.Close()
	if err := <-waiting; !errors.Is(err, workers.ErrClosed) || ran {
		t.Fatalf("a waiter when the pool closed: err = %v, ran = %v", err, ran)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the job running when the pool closed: %v", err)
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

// waitFor yields until n calls wait for a worker.
func waitFor(t *testing.T, p *workers.Pool, n int) {
	t.Helper()
	for i := 0; p.Waiting() != n; i++ {
		if i > 1e7 {
			t.Fatalf("%d waiting, want %d", p.Waiting(), n)
		}
		runtime.Gosched()
	}
}

// BenchmarkDo is the cost of handing a job to a worker and waiting for it:
// one caller at a time, callers of one owner at once, and callers of 16
// owners at once.
func BenchmarkDo(b *testing.B) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		p := workers.New(8)
		defer p.Close()
		for b.Loop() {
			p.Do(ctx, func() {})
		}
	})
	b.Run("parallel", func(b *testing.B) {
		p := workers.New(8)
		defer p.Close()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				p.Do(ctx, func() {})
			}
		})
	})
	b.Run("parallel, 16 owners", func(b *testing.B) {
		p := workers.New(8)
		defer p.Close()
		b.SetParallelism(8)
		var next atomic.Int32
		b.RunParallel(func(pb *testing.PB) {
			owner := fmt.Sprint("ws", next.Add(1)%16)
			for pb.Next() {
				p.DoFor(ctx, owner, func() {})
			}
		})
	})
}
