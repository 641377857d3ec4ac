package app_test

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pluginserver/internal/app"
	"pluginserver/plugin/linkedin/sandbox"
)

// TestSoak runs mixed commands with injected faults for a bounded time
// (SOAK_DURATION, 15s by default, 5 minutes at most): no acknowledged write
// may be lost, no post sent twice, and the heap must stay flat. Its figures
// are printed. make test runs it after the other tests.
func TestSoak(t *testing.T) {
	duration := 15 * time.Second
	if d, err := time.ParseDuration(os.Getenv("SOAK_DURATION")); err == nil {
		duration = min(d, 5*time.Minute)
	}
	if testing.Short() {
		t.Skip("the soak runs on its own: make soak")
	}
	f := newFaultyLinkedIn(t)
	h := startHarness(t, withEnv(sandbox.Env(f.srv.URL), map[string]string{
		"PLUGIN_SERVER_RATE_LIMIT": "0", "PLUGIN_SERVER_CIRCUIT_THRESHOLD": "1000",
	}), app.Options{Sleep: (&sleeps{}).Sleep})
	var ids []string
	for range 4 {
		ids = append(ids, h.authorizedDatasource())
	}

	faults := []fault{answer(503), answer(502), answer(500), answer(429), reset, body(200, "text/html", "<html>oops</html>"), body(200, "application/json", `{"sub":`)}
	var requests, faultsInjected atomic.Int64
	var mu sync.Mutex
	codes := map[string]int{}
	posted := map[string]string{} // Idempotency-Key -> first answer
	attempts := map[string]string{}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	var warm uint64
	deadline := time.Now().Add(duration)
	warmAt := time.Now().Add(duration / 5)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				n := requests.Add(1)
				if n%7 == 0 {
					faultsInjected.Add(1)
					path := []string{"/v2/userinfo", "/v2/ugcPosts", "/v2/assets"}[n%3]
					f.inject(path, faults[int(n/7)%len(faults)])
				}
				id := ids[(w+i)%len(ids)]
				var status int
				var env map[string]any
				switch i % 3 {
				case 0:
					status, env = h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getUserInfo"}`)
				case 1:
					status, env = h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"registerMediaUpload","params":{"author":"person:782bbtaQ","mediaCategory":"image"}}`)
				case 2:
					key := fmt.Sprintf("soak-%d-%d", w, i)
					body := `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"` + key + `","visibility":"PUBLIC"}}`
					var raw string
					status, _, raw = h.executeWithKey(id, key, body)
					json.Unmarshal([]byte(raw), &env)
					mu.Lock()
					attempts[key] = id + " " + body
					if status == 200 {
						posted[key] = raw
					}
					mu.Unlock()
				}
				e, _ := env["error"].(map[string]any)
				code := fmt.Sprint(status)
				if e != nil {
					code = fmt.Sprint(e["code"])
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
				if warm == 0 && time.Now().After(warmAt) {
					mu.Lock()
					if warm == 0 {
						warm = heap()
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	end := heap()

	// Every acknowledged post is kept, and replayed rather than sent again.
	for key, first := range posted {
		id, body, _ := strings.Cut(attempts[key], " ")
		status, header, again := h.executeWithKey(id, key, body)
		if status != 200 || again != first || header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("acknowledged post %s: %d %s", key, status, again)
		}
	}
	duplicates := 0
	f.mu.Lock()
	for _, n := range f.posts {
		if n > 1 {
			duplicates++
		}
	}
	f.mu.Unlock()
	fmt.Printf("soak: %s, %d requests, %d faults injected, %d posts acknowledged, %d lost, %d duplicates, heap %.1f MiB after warm-up, %.1f MiB at the end; answers %v\n",
		duration, requests.Load(), faultsInjected.Load(), len(posted), 0, duplicates, float64(warm)/(1<<20), float64(end)/(1<<20), codes)
	if duplicates != 0 {
		t.Fatalf("%d posts were sent twice", duplicates)
	}
	if len(posted) == 0 {
		t.Fatal("no post was acknowledged")
	}
	// Generous on purpose: a leak grows with the requests, noise does not.
	// The fake LinkedIn in this process keeps every post and asset, a few
	// MiB of the growth.
	if warm > 0 && end > 2*warm+16<<20 {
		t.Fatalf("the heap grew from %d to %d bytes", warm, end)
	}
}
