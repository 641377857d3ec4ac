package heapfloor_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"pluginserver/internal/heapfloor"
)

func TestPercent(t *testing.T) {
	const MiB = 1 << 20
	cases := []struct {
		name               string
		live, roots, floor uint64
		percent            int
		want               int
	}{
		{"small live heap: the target is the floor", 8 * MiB, 0, 64 * MiB, 100, 700},
		{"stacks and globals count toward the target", 4 * MiB, 4 * MiB, 64 * MiB, 100, 750},
		{"half the floor", 32 * MiB, 0, 64 * MiB, 100, 100},
		{"at the floor: GOGC's own", 64 * MiB, 0, 64 * MiB, 100, 100},
		{"above the floor: GOGC's own", 200 * MiB, 0, 64 * MiB, 100, 100},
		{"never below the operator's", 20 * MiB, 0, 64 * MiB, 300, 300},
		{"a tiny heap at start: the minimum heap stays under the floor", 1 * MiB, 0, 64 * MiB, 100, 1600},
		{"nothing read", 0, 0, 64 * MiB, 100, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := heapfloor.Percent(c.live, c.roots, c.floor, c.percent); got != c.want {
				t.Fatalf("Percent(%d, %d, %d, %d) = %d, want %d", c.live, c.roots, c.floor, c.percent, got, c.want)
			}
		})
	}
}

// After a collection the runtime's GOGC is the one the floor asks for,
// and stop puts the given one back.
func TestStartSetsGOGCAfterEachCollection(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	stop := heapfloor.Start(1<<40, 100) // a floor far above the test's heap
	for range 3 {
		runtime.GC()
	}
	var got int
	for range 100 { // the finalizer runs on its own goroutine
		runtime.Gosched()
		if got = debug.SetGCPercent(-1); got > 100 {
			break
		}
		debug.SetGCPercent(got)
		runtime.GC()
	}
	if got <= 100 {
		t.Fatalf("GOGC after collections: %d, want far above 100", got)
	}
	debug.SetGCPercent(got)
	stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC after stop: %d, want 100", got)
	}
}
