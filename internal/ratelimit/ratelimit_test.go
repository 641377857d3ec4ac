package ratelimit_test

import (
	"testing"
	"time"

	"pluginserver/internal/ratelimit"
)

func TestBucket(t *testing.T) {
	now := time.Unix(0, 0)
	l := ratelimit.New(2, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("ds1"); !ok {
			t.Fatalf("call %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("ds1")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("over the burst: %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allow("ds2"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("ds1"); !ok {
		t.Fatal("no token after the wait")
	}
	now = now.Add(time.Hour)
	for range 3 {
		if ok, _ := l.Allow("ds1"); !ok {
			t.Fatal("the bucket did not refill to its burst")
		}
	}
	if ok, _ := l.Allow("ds1"); ok {
		t.Fatal("the bucket refilled past its burst")
	}
}
