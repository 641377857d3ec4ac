package circuit_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	ps "pluginserver"
	"pluginserver/internal/circuit"
	"pluginserver/internal/facts"
	"pluginserver/internal/store/sqlite"
)

// replicas are breakers sharing circuits through one SQLite file, wired
// as the app wires them (OnOpen shares, facts.Apply applies with
// Breaker.Apply), on one clock moved by hand. What a replica shares is
// stored at once, as its sharer's Run would store it.
type replicas struct {
	t    *testing.T
	path string
	now  time.Time
}

func newReplicas(t *testing.T) *replicas {
	return &replicas{t: t, path: filepath.Join(t.TempDir(), "shared.db"), now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
}

func (r *replicas) clock() time.Time { return r.now }

func (r *replicas) open() *sqlite.Store {
	st, err := sqlite.Open(context.Background(), r.path)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { st.Close() })
	return st
}

// sharing is a replica that shares what its breaker opens.
func (r *replicas) sharing(origin string) *circuit.Breaker {
	st := r.open()
	b := circuit.New(5, 30*time.Second, circuit.DefaultOutage, r.clock)
	b.OnOpen = func(key string, until time.Time, why string) {
		if err := st.ShareFact(context.Background(), ps.Fact{Origin: origin, Kind: "circuit", Key: key, Value: why, Until: until}); err != nil {
			r.t.Error(err)
		}
	}
	return b
}

// started is a replica that starts now: its sharer applies the facts
// shared before and still holding, as Run does at once.
func (r *replicas) started() (*circuit.Breaker, *facts.Sharer) {
	b := circuit.New(5, 30*time.Second, circuit.DefaultOutage, r.clock)
	s := facts.New(r.open(), r.clock)
	s.Apply("circuit", b.Apply)
	s.Poll(context.Background())
	return b, s
}

// outage fails LinkedIn's API on replica b for 5 datasources in 3
// workspaces over 10 s; it returns the last failure's time.
func (r *replicas) outage(b *circuit.Breaker) time.Time {
	for round := range 2 {
		if round > 0 {
			r.now = r.now.Add(10 * time.Second)
		}
		for i := range 5 {
			b.Failed([]string{"ws0", "ws1", "ws2"}[i%3], []string{"ds0", "ds1", "ds2", "ds3", "ds4"}[i], true)
		}
	}
	if b.Allow("bystander") == nil {
		r.t.Fatal("no outage on the replica that saw it")
	}
	return r.now
}

// calls are calls arriving on replica b every 100 ms for d, each asking
// Allow (which renews the outage's lease while it holds); every is
// called at each poll of the facts (every facts.Every).
func (r *replicas) calls(b *circuit.Breaker, d time.Duration, every func()) {
	const step = 100 * time.Millisecond
	end := r.now.Add(d)
	for i := 1; r.now.Before(end); i++ {
		b.Allow("busy")
		r.now = r.now.Add(step)
		if i%int(facts.Every/step) == 0 && every != nil {
			every()
		}
	}
}

// A replica learns of an outage another saw at its next poll, stays paused
// while the outage holds there, and stops within OutageLease of its end.
func TestReplicasLearnAnOutageAndForgetIt(t *testing.T) {
	r := newReplicas(t)
	a := r.sharing("a")
	b, sharer := r.started()
	last := r.outage(a)
	sharer.Poll(context.Background())
	if b.Allow("bystander") == nil {
		t.Fatal("the other replica did not learn of the outage at its next poll")
	}
	end := last.Add(30 * time.Second)
	r.calls(a, 40*time.Second, func() {
		sharer.Poll(context.Background())
		err := b.Allow("bystander")
		switch {
		case r.now.Before(end) && err == nil:
			t.Fatalf("%v into the outage, the other replica no longer pauses", r.now.Sub(last))
		case !r.now.Before(end.Add(circuit.OutageLease)) && err != nil:
			t.Fatalf("%v after the outage ended, the other replica still pauses: %v", r.now.Sub(end), err)
		}
	})
}

// A replica that starts (or restarts) on the store applies an outage only
// while the replica that saw it renews its lease: a stored outage does
// not pause on its own.
func TestARestartFindsNoStaleOutage(t *testing.T) {
	cases := []struct {
		name string
		// calls is how long the replica that saw the outage kept
		// answering calls (and renewing the lease) after its last
		// failure; restart is when the new replica starts, after it.
		calls, restart time.Duration
		// older stores the outage for the whole cool-down, as servers
		// before the lease did.
		older  bool
		paused bool
	}{
		{"while the outage holds and is renewed", 20 * time.Second, 20 * time.Second, false, true},
		{"its replica stopped renewing 5 s before (it went away)", 10 * time.Second, 15 * time.Second, false, false},
		{"after the outage ended", 40 * time.Second, 40 * time.Second, false, false},
		{"an outage stored for its cool-down by an older server", 0, 5 * time.Second, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReplicas(t)
			a := r.sharing("a")
			last := r.outage(a)
			if c.older {
				if err := r.open().ShareFact(context.Background(), ps.Fact{Origin: "old", Kind: "circuit", Key: "*",
					Value: "calls of 5 datasources in 3 workspaces failed (LinkedIn appears to be down)", Until: last.Add(30 * time.Second)}); err != nil {
					t.Fatal(err)
				}
			}
			r.calls(a, c.calls, nil)
			r.now = last.Add(c.restart)
			b, _ := r.started()
			if err := b.Allow("bystander"); (err != nil) != c.paused {
				t.Fatalf("after the restart: %v, want paused: %v", err, c.paused)
			}
		})
	}
}
