package circuit_test

import (
	"testing"
	"time"

	"pluginserver/internal/circuit"
	"pluginserver/plugin"
)

func TestBreaker(t *testing.T) {
	now := time.Unix(0, 0)
	b := circuit.New(3, 30*time.Second, func() time.Time { return now })
	for range 2 {
		b.Record("ds1", circuit.Failed, 0)
	}
	if err := b.Allow("ds1"); err != nil {
		t.Fatalf("open before the threshold: %v", err)
	}
	b.Record("ds1", circuit.Failed, 0)
	err := b.Allow("ds1")
	if e := plugin.AsError(err); err == nil || e.Code != plugin.UpstreamUnavailable || e.RetryAfter != 30 {
		t.Fatalf("after 3 failures: %v", err)
	}
	if b.Allow("ds2") != nil {
		t.Fatal("another key is open too")
	}
	now = now.Add(31 * time.Second)
	if b.Allow("ds1") != nil {
		t.Fatal("still open after the cool-down")
	}
	b.Record("ds1", circuit.Failed, 0) // the trial call fails: open again at once
	if b.Allow("ds1") == nil {
		t.Fatal("a failed trial did not reopen the circuit")
	}
	now = now.Add(31 * time.Second)
	b.Record("ds1", circuit.Succeeded, 0)
	b.Record("ds1", circuit.Failed, 0)
	if b.Allow("ds1") != nil {
		t.Fatal("a success did not reset the count")
	}
	for range 3 {
		b.Record("app", circuit.Throttled, 0)
	}
	b.Record("app", circuit.Throttled, 2*time.Minute)
	if e := plugin.AsError(b.Allow("app")); e.Code != plugin.RateLimited || e.RetryAfter != 120 {
		t.Fatalf("throttled: %+v", e)
	}
}
