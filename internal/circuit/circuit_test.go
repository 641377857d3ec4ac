package circuit_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pluginserver/internal/circuit"
	"pluginserver/plugin"
)

func TestBreaker(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(3, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	for range 2 {
		b.Failed("ws", "ds1")
	}
	if err := b.Allow("ds1"); err != nil {
		t.Fatalf("open before the threshold: %v", err)
	}
	b.Failed("ws", "ds1")
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
	b.Failed("ws", "ds1") // the trial call fails: open again at once
	if b.Allow("ds1") == nil {
		t.Fatal("a failed trial did not reopen the circuit")
	}
	now = now.Add(31 * time.Second)
	b.Succeeded("ds1")
	b.Failed("ws", "ds1")
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
					b.Failed("ws", "ds1")
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

// An outage is LinkedIn's only when datasources of several workspaces fail
// together; one workspace failing any number of datasources pauses only
// them.
func TestOutage(t *testing.T) {
	cases := []struct {
		name       string
		workspaces int
		perWS      int
		succeeded  int // datasources that recover before the last failure
		outage     bool
	}{
		{"one workspace, many datasources", 1, 50, 0, false},
		{"two workspaces", 2, 10, 0, false},
		{"three workspaces, five datasources", 3, 2, 0, true},
		{"three workspaces, too few datasources", 3, 1, 0, false},
		{"recovered datasources do not count", 3, 2, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := time.Unix(0, 0)
			b := circuit.New(5, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
			var ids []string
			for w := range c.workspaces {
				for d := range c.perWS {
					ids = append(ids, fmt.Sprintf("ws%d/ds%d", w, d))
				}
			}
			for i, id := range ids {
				b.Failed(strings.Split(id, "/")[0], id)
				if i < c.succeeded {
					b.Succeeded(id)
				}
			}
			err := b.Allow("bystander")
			if (err != nil) != c.outage {
				t.Fatalf("a bystander datasource: %v, want an outage: %v", err, c.outage)
			}
			if c.outage && !strings.Contains(err.Error(), "LinkedIn appears to be down") {
				t.Fatalf("the pause does not say why: %v", err)
			}
		})
	}
}

// Failures long past do not add up to an outage with today's.
func TestOldFailuresAreNoOutage(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(5, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	for i := range 4 {
		b.Failed(fmt.Sprint("ws", i%3), fmt.Sprint("ds", i))
	}
	now = now.Add(time.Hour)
	b.Failed("ws0", "ds9")
	if err := b.Allow("bystander"); err != nil {
		t.Fatalf("failures an hour apart made an outage: %v", err)
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
	b.Failed("acme", "ds1")
	b.Failed("acme", "ds1")
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
	other.Pause("", "*", now.Add(time.Minute), "LinkedIn appears to be down")
	if other.Allow("ds3") == nil {
		t.Fatal("an outage shared by another replica pauses nothing")
	}
}

// Open counts the circuits open now, for the metrics.
func TestOpenCounts(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(2, 30*time.Second, circuit.DefaultOutage, func() time.Time { return now })
	b.Failed("ws", "ds1")
	b.Failed("ws", "ds1")
	b.Failed("ws", "ds2")
	b.Pause("ws2", "ds3", now.Add(time.Minute), "5 failed calls in a row")
	if n, outage := b.Open(); n != 2 || outage {
		t.Fatalf("Open() = %d, %v; want 2 open (ds1, ds3), no outage", n, outage)
	}
	now = now.Add(31 * time.Second)
	if n, _ := b.Open(); n != 1 {
		t.Fatalf("after the cool-down, Open() = %d; want 1 (ds3, paused a minute)", n)
	}
	b.Pause("", "*", now.Add(time.Minute), "LinkedIn appears to be down")
	if _, outage := b.Open(); !outage {
		t.Fatal("a LinkedIn-wide pause is not an outage")
	}
}
