package workers_test

import (
	"context"
	"errors"
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
