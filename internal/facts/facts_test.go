package facts_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	ps "pluginserver"
	"pluginserver/internal/facts"
	"pluginserver/internal/store/sqlite"
)

// Two replicas on one store: each applies what the other shared, never
// its own, and a fact that ended is not applied.
func TestReplicasApplyEachOthersFacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() *sqlite.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := facts.New(open(), time.Now), facts.New(open(), time.Now)
	var mu sync.Mutex
	applied := map[string][]string{}
	for name, s := range map[string]*facts.Sharer{"a": a, "b": b} {
		s.Apply("circuit", func(f ps.Fact) {
			mu.Lock()
			applied[name] = append(applied[name], f.Key)
			mu.Unlock()
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	go b.Run(ctx)
	a.Share("circuit", "acme/ds1", "5 failed calls in a row", time.Now().Add(time.Minute))
	a.Share("circuit", "acme/ended", "long ago", time.Now().Add(-time.Minute))
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		got := append([]string(nil), applied["b"]...)
		mine := len(applied["a"])
		mu.Unlock()
		if len(got) == 1 && got[0] == "acme/ds1" && mine == 0 {
			break
		}
		if time.Now().After(deadline) || len(got) > 1 || mine > 0 {
			t.Fatalf("b applied %v, a applied %d of its own", got, mine)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
