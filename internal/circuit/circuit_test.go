package circuit_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	ps "pluginserver"
	"pluginserver/internal/circuit"
	"pluginserver/plugin"
)

func TestBreaker(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(3, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	for range 2 {
		b.Failed("ws", "ds1", true)
	}
	if err := b.Allow("ds1"); err != nil {
		t.Fatalf("open before the threshold: %v", err)
	}
	b.Failed("ws", "ds1", true)
	err := b.Allow("ds1")
	if e := plugin.AsError(err); err == nil || e.Code != plugin.UpstreamUnavailable || e.RetryAfter != 30 {
		t.Fatalf("after 3 failures: %v", err)
	}
	if b.Allow("ds2") != nil {
		t.Fatal("another datasource of the same workspace is paused too")
	}
	now = now.Add(31 * time.Second)
	if b.Allow("ds1") != nil {
		t.Fatal("still open after the cool-down")
	}
	b.Failed("ws", "ds1", true) // the trial call fails: open again at once
	if b.Allow("ds1") == nil {
		t.Fatal("a failed trial did not reopen the circuit")
	}
	now = now.Add(31 * time.Second)
	b.Succeeded("ds1")
	b.Failed("ws", "ds1", true)
	if b.Allow("ds1") != nil {
		t.Fatal("a success did not reset the count")
	}
}

// A call let through before the circuit opened may answer after it did:
// its success is older news than the failures, here or on the replica
// that opened it, and does not close the circuit.
func TestLateSuccessKeepsTheCircuitOpen(t *testing.T) {
	for _, how := range []string{"opened here", "opened on another replica"} {
		t.Run(how, func(t *testing.T) {
			now := time.Unix(0, 0)
			b := circuit.New(3, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
			if how == "opened here" {
				for range 3 {
					b.Failed("ws", "ds1", true)
				}
			} else {
				b.Pause("ws", "ds1", now.Add(30*time.Second), "3 failed calls in a row")
			}
			b.Succeeded("ds1")
			if b.Allow("ds1") == nil {
				t.Fatal("a success of a call sent before the circuit opened closed it")
			}
			now = now.Add(31 * time.Second)
			b.Succeeded("ds1")
			if b.Allow("ds1") != nil {
				t.Fatal("closed after the cool-down, then a success: still open")
			}
		})
	}
}

// An outage is LinkedIn's only when its API host fails for datasources of
// several workspaces, over time: each of the workspaces counted fails for
// at least the outage's span. One workspace failing any number of
// datasources pauses only them; a burst of failures, or an upload host's
// failures, however many workspaces they come from, pause nobody else.
func TestOutage(t *testing.T) {
	const span = 10 * time.Second
	burst := []time.Duration{0}
	sustained := []time.Duration{0, 5 * time.Second, span}
	cases := []struct {
		name       string
		workspaces int
		perWS      int
		// rounds are when each datasource fails, one after another
		// every step within a round.
		rounds []time.Duration
		step   time.Duration
		api    bool
		// succeeded datasources recover after each of their failures.
		succeeded int
		outage    bool
	}{
		{"the attack: one failed upload on 5 datasources of 3 workspaces in 0.2 s", 3, 2, burst, 13 * time.Millisecond, false, 0, false},
		{"an upload host failing over time", 3, 2, sustained, 13 * time.Millisecond, false, 0, false},
		{"the API host failing on 5 datasources of 3 workspaces in 0.2 s", 3, 2, burst, 13 * time.Millisecond, true, 0, false},
		{"the API host failing for a burst far longer than the attack's", 3, 2, burst, 500 * time.Millisecond, true, 0, false},
		{"the API host failing over 10 s in 3 workspaces", 3, 2, sustained, 13 * time.Millisecond, true, 0, true},
		{"over a little less than the span", 3, 2, []time.Duration{0, span - time.Second}, 13 * time.Millisecond, true, 0, false},
		{"many workspaces, many datasources, over time", 10, 5, sustained, 0, true, 0, true},
		{"one workspace, many datasources, over time", 1, 50, sustained, 0, true, 0, false},
		{"two workspaces, over time", 2, 10, sustained, 0, true, 0, false},
		{"three workspaces, too few datasources", 3, 1, sustained, 0, true, 0, false},
		{"recovered datasources do not count", 3, 2, sustained, 0, true, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Unix(0, 0)
			now := start
			b := circuit.New(5, 30*time.Second, circuit.Outage{Datasources: 5, Workspaces: 3, Span: span}, func() time.Time { return now })
			var ids []string
			for w := range c.workspaces {
				for d := range c.perWS {
					ids = append(ids, fmt.Sprintf("ws%d/ds%d", w, d))
				}
			}
			for _, round := range c.rounds {
				now = start.Add(round)
				for i, id := range ids {
					b.Failed(strings.Split(id, "/")[0], id, c.api)
					if i < c.succeeded {
						b.Succeeded(id)
					}
					now = now.Add(c.step)
				}
			}
			err := b.Allow("bystander")
			if (err != nil) != c.outage {
				t.Fatalf("a bystander datasource: %v, want an outage: %v", err, c.outage)
			}
			if _, outage := b.Open(); outage != c.outage {
				t.Fatalf("Open() says outage %v", outage)
			}
			if c.outage && !strings.Contains(err.Error(), "LinkedIn appears to be down") {
				t.Fatalf("the pause does not say why: %v", err)
			}
		})
	}
}

// Failures of an upload host still open the datasource's own circuit: its
// uploads failed five times in a row, and nobody else's are paused.
func TestUploadFailuresOpenOnlyTheirCircuit(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(5, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	for range 5 {
		b.Failed("ws", "ds1", false)
	}
	if b.Allow("ds1") == nil || b.Allow("ds2") != nil {
		t.Fatalf("ds1: %v, ds2: %v; want only ds1 paused", b.Allow("ds1"), b.Allow("ds2"))
	}
}

// Failures long past do not add up to an outage with today's.
func TestOldFailuresAreNoOutage(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(5, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	for i := range 4 {
		b.Failed(fmt.Sprint("ws", i%3), fmt.Sprint("ds", i), true)
		b.Failed(fmt.Sprint("ws", i%3), fmt.Sprint("ds", i), true)
	}
	now = now.Add(time.Hour)
	b.Failed("ws0", "ds9", true)
	if err := b.Allow("bystander"); err != nil {
		t.Fatalf("failures an hour apart made an outage: %v", err)
	}
}

// sustainedOutage fails LinkedIn's API for 5 datasources in 3 workspaces,
// each workspace for 10 s, and returns when the last failure was.
func sustainedOutage(b *circuit.Breaker, now *time.Time) time.Time {
	for _, at := range []time.Duration{0, 10 * time.Second} {
		*now = now.Add(at)
		for i := range 5 {
			b.Failed(fmt.Sprint("ws", i%3), fmt.Sprint("ds", i), true)
		}
	}
	return *now
}

// An outage lasts the cool-down from the last failure that made it, then
// ends; failures older than the cool-down do not bring it back.
func TestOutageEndsWithItsEvidence(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(5, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	last := sustainedOutage(b, &now)
	now = last.Add(29 * time.Second)
	if b.Allow("bystander") == nil {
		t.Fatal("no outage within the cool-down of its last failure")
	}
	now = last.Add(31 * time.Second)
	if err := b.Allow("bystander"); err != nil {
		t.Fatalf("the outage outlived its evidence: %v", err)
	}
	if _, outage := b.Open(); outage {
		t.Fatal("Open() still says outage")
	}
	// One more failure, with the others aged out, is no outage.
	b.Failed("ws0", "ds0", true)
	if err := b.Allow("bystander"); err != nil {
		t.Fatalf("an outage from one new failure and old ones: %v", err)
	}
}

// Other replicas hear of an outage as a lease of OutageLease, renewed
// while it holds and calls come, never past its end; a lease pauses them
// until it ends, and an outage fact ending later than a lease can (an
// older server's pause, stored for the whole cool-down) pauses nothing.
func TestOutageIsSharedAsALease(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(5, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	type lease struct{ at, until time.Time }
	var leases []lease
	b.OnOpen = func(key string, until time.Time, why string) {
		if key == "*" {
			leases = append(leases, lease{now, until})
		}
	}
	last := sustainedOutage(b, &now)
	if len(leases) != 1 || !leases[0].until.Equal(last.Add(circuit.OutageLease)) {
		t.Fatalf("leases %v, want one until %v", leases, last.Add(circuit.OutageLease))
	}
	// Calls refused during the outage renew the lease, at most about
	// every OutageLease/3.
	for now.Before(last.Add(35 * time.Second)) {
		b.Allow("bystander")
		now = now.Add(100 * time.Millisecond)
	}
	end := last.Add(30 * time.Second)
	for i, l := range leases {
		if l.until.After(end) || l.until.After(l.at.Add(circuit.OutageLease)) {
			t.Fatalf("lease %d ends at %v, after the outage (%v) or the lease", i, l.until, end)
		}
		if i > 0 && l.at.Sub(leases[i-1].at) < circuit.OutageLease/3 {
			t.Fatalf("leases %d and %d %v apart", i-1, i, l.at.Sub(leases[i-1].at))
		}
		if i > 0 && l.at.After(leases[i-1].until) {
			t.Fatalf("lease %d came after lease %d ended: other replicas stopped pausing", i, i-1)
		}
	}
	if got := leases[len(leases)-1].until; !got.Equal(end) {
		t.Fatalf("the last lease ends at %v, want the outage's end %v", got, end)
	}

	cases := []struct {
		name   string
		until  time.Duration
		paused bool
	}{
		{"a lease", circuit.OutageLease, true},
		{"a lease read a little late", time.Second, true},
		{"an outage stored for a cool-down", 30 * time.Second, false},
		{"a lease that ended", -time.Second, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := time.Unix(0, 0)
			other := circuit.New(5, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
			other.Apply(ps.Fact{Kind: "circuit", Key: "*", Value: "LinkedIn appears to be down", Until: now.Add(c.until)})
			err := other.Allow("ds1")
			if (err != nil) != c.paused {
				t.Fatalf("%v, want paused: %v", err, c.paused)
			}
			if c.paused && !strings.Contains(err.Error(), "on another replica") {
				t.Fatalf("the pause does not say where it comes from: %v", err)
			}
			now = now.Add(c.until)
			if err := other.Allow("ds1"); err != nil {
				t.Fatalf("after the lease: %v", err)
			}
		})
	}
}

// What another replica paused never makes an outage here: circuits it
// opened are its datasources' own.
func TestSharedCircuitsMakeNoOutage(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(5, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	for range 2 {
		for i := range 10 {
			b.Apply(ps.Fact{Kind: "circuit", Key: fmt.Sprintf("ws%d/ds%d", i%5, i), Value: "5 failed calls in a row", Until: now.Add(30 * time.Second)})
		}
		now = now.Add(15 * time.Second)
	}
	if err := b.Allow("bystander"); err != nil {
		t.Fatalf("circuits shared by another replica made an outage: %v", err)
	}
}

// A circuit that opens is told to OnOpen, for other replicas; one paused
// from another replica refuses until it closes there.
func TestCircuitsAcrossReplicas(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var opened []string
	b := circuit.New(2, 30*time.Second, circuit.DefaultOutage, clock)
	b.OnOpen = func(key string, until time.Time, why string) {
		opened = append(opened, key+" until "+until.Sub(now).String())
	}
	b.Failed("acme", "ds1", true)
	b.Failed("acme", "ds1", true)
	if len(opened) != 1 || opened[0] != "acme/ds1 until 30s" {
		t.Fatalf("opened %v", opened)
	}

	other := circuit.New(2, 30*time.Second, circuit.DefaultOutage, clock)
	other.Pause("acme", "ds1", now.Add(30*time.Second), "2 failed calls in a row")
	err := other.Allow("ds1")
	if err == nil || !strings.Contains(err.Error(), "on another replica") || other.Allow("ds2") != nil {
		t.Fatalf("paused from another replica: %v", err)
	}
	now = now.Add(31 * time.Second)
	if err := other.Allow("ds1"); err != nil {
		t.Fatalf("after it closed there: %v", err)
	}
	other.Pause("", "*", now.Add(circuit.OutageLease), "LinkedIn appears to be down")
	if other.Allow("ds3") == nil {
		t.Fatal("an outage shared by another replica pauses nothing")
	}
}

// Open counts the circuits open now, for the metrics.
func TestOpenCounts(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(2, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	b.Failed("ws", "ds1", true)
	b.Failed("ws", "ds1", true)
	b.Failed("ws", "ds2", true)
	b.Pause("ws2", "ds3", now.Add(time.Minute), "5 failed calls in a row")
	if n, outage := b.Open(); n != 2 || outage {
		t.Fatalf("Open() = %d, %v; want 2 open (ds1, ds3), no outage", n, outage)
	}
	now = now.Add(31 * time.Second)
	if n, _ := b.Open(); n != 1 {
		t.Fatalf("after the cool-down, Open() = %d; want 1 (ds3, paused a minute)", n)
	}
	b.Pause("", "*", now.Add(circuit.OutageLease), "LinkedIn appears to be down")
	if _, outage := b.Open(); !outage {
		t.Fatal("a LinkedIn-wide pause is not an outage")
	}
}
