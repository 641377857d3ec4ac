// Package heapfloor keeps the collector's heap target from falling below a
// floor.
//
// With GOGC's default the collector runs each time the heap grows by as
// much as is live. The server's live heap is small (a few MiB at 64
// callers), so it collected every few MiB allocated and spent a fifth of
// createPost's CPU doing so. Raising GOGC for good would cut that but
// grow the heap of a thousand callers by as much, past what a bare proxy
// holds. A floor does neither: while the live heap is small the target is
// the floor, once the live heap is larger GOGC's own proportion holds, and
// the memory limit still bounds both.
package heapfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Start keeps the heap target at floor bytes or more, on top of a GOGC of
// percent, until the returned stop is called; it restores percent then.
// After every collection it sets GOGC so the next target is floor, when
// percent would make it less.
func Start(floor uint64, percent int) (stop func()) {
	t := &tuner{floor: floor, percent: percent, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
	t.arm()
	return func() {
		t.stopped.Store(true)
		debug.SetGCPercent(percent)
	}
}

type tuner struct {
	floor   uint64
	percent int
	sample  []metrics.Sample
	stopped atomic.Bool
}

// sentinel is garbage as soon as it is made; its finalizer runs once the
// collection that found it ends. It holds a pointer so it is not batched
// with other tiny objects, whose finalizers may never run.
type sentinel struct{ _ *int }

func (t *tuner) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		if t.stopped.Load() {
			return
		}
		metrics.Read(t.sample)
		live, stacks, globals := t.read(0), t.read(1), t.read(2)
		debug.SetGCPercent(Percent(live, stacks+globals, t.floor, t.percent))
		t.arm()
	})
}

func (t *tuner) read(i int) uint64 {
	if t.sample[i].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return t.sample[i].Value.Uint64()
}

// minimumHeap is the runtime's least heap target at a GOGC of 100; it
// scales with GOGC.
const minimumHeap = 4 << 20

// Percent is the GOGC that puts the heap target at floor, never below
// percent. The runtime's target is live + (live + roots) * GOGC / 100,
// roots being the stacks and globals it scans, and at least its minimum
// heap scaled by GOGC / 100, which must not pass the floor either: a GOGC
// of thousands on the tiny heap of a server just started set a target of
// 70 MiB.
func Percent(live, roots, floor uint64, percent int) int {
	if live+roots == 0 || live >= floor {
		return percent
	}
	want := min((floor-live)*100/(live+roots), floor*100/minimumHeap)
	return max(int(want), percent)
}
