package workers

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// waitUntil polls cond: the tests wait for goroutines to reach a point,
// never for a time to pass.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (g *Turns) waitingNow() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// settled checks that every turn came back and none is lent.
func settled(t *testing.T, g *Turns, n int) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.free != n || g.lent != 0 || len(g.holders) != 0 || g.waiting != 0 || len(g.active) != 0 {
		t.Fatalf("turns not settled: free %d of %d, lent %d, holders %d, waiting %d, active %v", g.free, n, g.lent, len(g.holders), g.waiting, g.active)
	}
}

// A workspace with a backlog delays another's lone request by one turn,
// not by the backlog.
func TestTurnsGoRoundRobin(t *testing.T) {
	g := NewTurns(1, 0)
	ctx := context.Background()
	// A third owner's execute holds the one turn, so the flood is not
	// alone.
	first, err := g.Take(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	queue := func(owner, name string) {
		before := g.waitingNow()
		wg.Add(1)
		go func() {
			defer wg.Done()
			turn, err := g.Take(ctx, owner)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			turn.End()
		}()
		waitUntil(t, name+" waits", func() bool { return g.waitingNow() == before+1 })
	}
	queue("flood", "flood 1")
	queue("flood", "flood 2")
	queue("flood", "flood 3")
	queue("quiet", "quiet 1")
	first.End()
	wg.Wait()
	if want := []string{"flood 1", "quiet 1", "flood 2", "flood 3"}; !slices.Equal(order, want) {
		t.Fatalf("turns went %v, want %v", order, want)
	}
	settled(t, g, 1)
}

// A turn given up Outside lets another owner compute meanwhile, and comes
// back after.
func TestOutsideGivesTheTurnUp(t *testing.T) {
	g := NewTurns(1, 0)
	ctx := context.Background()
	turn, err := g.Take(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	ctx = With(ctx, turn)
	Outside(ctx, func() {
		other, err := g.Take(context.Background(), "b") // would wait forever under a's turn
		if err != nil {
			t.Error(err)
		}
		other.End()
	})
	if !turn.held || g.Held() != 1 {
		t.Fatalf("after Outside: held %v, %d held in all", turn.held, g.Held())
	}
	if _, outside := turn.Waited(); outside <= 0 {
		t.Errorf("Waited says nothing was waited Outside")
	}
	Leave(ctx)
	Leave(ctx) // a second Leave does nothing
	turn.End()
	turn.End() // and a second End
	settled(t, g, 1)
	// Without a turn in the context, Outside only runs its function.
	ran := false
	Outside(Without(ctx), func() { ran = true })
	if !ran {
		t.Fatal("Outside did not run its function")
	}
	settled(t, g, 1)
}

// A holder stuck in a wait Outside does not see (a store, a refresh) does
// not stop the others: past the stall its turn is lent to the next owner,
// and the extra turn is taken back when the holder ends.
func TestStuckTurnIsLent(t *testing.T) {
	g := NewTurns(1, 5*time.Millisecond)
	ctx := context.Background()
	stuck, err := g.Take(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		other, err := g.Take(ctx, "b") // waits for a lend each time
		if err != nil {
			t.Fatal(i, err)
		}
		other.End()
	}
	stuck.End()
	settled(t, g, 1)
}

// A caller whose context ends while waiting holds nothing, and a turn
// handed to it as it leaves goes on to the next.
func TestTakeGivesUpWithItsContext(t *testing.T) {
	g := NewTurns(1, 0)
	holder, err := g.Take(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		turn, err := g.Take(ctx, "b")
		turn.End()
		done <- err
	}()
	waitUntil(t, "b waits", func() bool { return g.waitingNow() == 1 })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("Take returned no error for an ended context")
	}
	holder.End()
	settled(t, g, 1)

	// Hand-overs racing cancellations: every turn still comes back. One
	// owner's execute is under way throughout, waiting Outside its turn,
	// so none is alone.
	always, _ := g.Take(context.Background(), "d")
	always.Leave()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			if i%2 == 0 {
				go cancel()
			} else {
				defer cancel()
			}
			turn, _ := g.Take(ctx, []string{"a", "b", "c"}[i%3])
			turn.End()
		}()
	}
	wg.Wait()
	always.End()
	settled(t, g, 1)
}

// Callers that wait on each other, each from inside a turn, as identical
// reads wait on the one that calls LinkedIn, finish with a single turn.
func TestWaitsOutsideCannotDeadlock(t *testing.T) {
	g := NewTurns(1, 0) // no lending: only Outside keeps this going
	ctx := context.Background()
	leaderDone := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			turn, err := g.Take(ctx, "w")
			if err != nil {
				t.Error(err)
				return
			}
			defer turn.End()
			ctx := With(ctx, turn)
			if i == 0 {
				go func() {
					// The shared call computes in a turn of its own.
					lead, err := g.Take(context.Background(), "w")
					if err == nil {
						lead.End()
					}
					close(leaderDone)
				}()
			}
			Outside(ctx, func() { <-leaderDone })
		}()
	}
	wg.Wait()
	settled(t, g, 1)
}

// Take on no Turns gives a turn at once, which Leave and Retake accept.
func TestNilTurns(t *testing.T) {
	var g *Turns
	turn, err := g.Take(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := turn.Retake(context.Background()); err != nil {
		t.Fatal(err)
	}
	turn.Leave()
	turn.End()
	var none *Turn
	none.Leave()
	none.End()
	if err := none.Retake(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// An owner alone takes turns past the limit without waiting. Once another
// owner starts an execute, the turns past the limit are taken back as they
// end, the next goes to the newcomer, and the first owner waits its turn
// again.
func TestAnOwnerAloneTakesTurnsAtOnce(t *testing.T) {
	g := NewTurns(1, 0)
	ctx := context.Background()
	var alone []*Turn
	for range 5 {
		turn, err := g.Take(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		alone = append(alone, turn)
	}
	if g.Held() != 5 || g.waitingNow() != 0 {
		t.Fatalf("owner alone: %d turns held, %d waiting; want 5 held, none waiting", g.Held(), g.waitingNow())
	}
	took := make(chan string, 2)
	// waitFor takes owner's turn on a goroutine of its own, saying in took
	// when it has it, and waits until it is queued.
	waitFor := func(owner string) <-chan *Turn {
		before := g.waitingNow()
		turn := make(chan *Turn, 1)
		go func() {
			t, _ := g.Take(ctx, owner)
			took <- owner
			turn <- t
		}()
		waitUntil(t, owner+" waits", func() bool { return g.waitingNow() == before+1 })
		return turn
	}
	newcomer := waitFor("b")
	later := waitFor("a")
	for _, turn := range alone[:4] {
		turn.End()
	}
	if g.waitingNow() != 2 {
		t.Fatalf("turns past the limit were handed on: %d still waiting, want 2", g.waitingNow())
	}
	alone[4].End()
	if who := <-took; who != "b" {
		t.Fatalf("the turn went to %s first, want the newcomer b", who)
	}
	(<-newcomer).End()
	if who := <-took; who != "a" {
		t.Fatalf("then %s, want a", who)
	}
	(<-later).End()
	settled(t, g, 1)
}
