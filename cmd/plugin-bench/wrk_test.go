package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWrkSendsTheHarnessRequest runs wrk as the harness does against a
// server that keeps what it receives: every request is the harness's
// own (method, headers, body), each post's text is new, and what wrk
// counted comes back with its latencies.
// Past a number of distinct latencies (none, in the second run),
// wrk reports quantiles of them, which stand for every answer.
func TestWrkSendsTheHarnessRequest(t *testing.T) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatal("the load harness's wrk cases need wrk (apt-get install wrk; .ci/run installs it)")
	}
	for _, exact := range []int{math.MaxInt32, 0} {
		t.Run(fmt.Sprintf("exact %d", exact), func(t *testing.T) { testWrkSends(t, bin, exact) })
	}
}

func testWrkSends(t *testing.T, bin string, exact int) {
	var mu sync.Mutex
	bodies := map[string]int{}
	var wrong []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies[string(body)]++
		if r.Method != "POST" || r.URL.Path != "/execute" || r.Header.Get("Authorization") != "Bearer k]]" || r.Header.Get("Content-Type") != "application/json" {
			wrong = append(wrong, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	// "]]" in a header would end a plain Lua long string early.
	r, _ := http.NewRequest("POST", srv.URL+"/execute", strings.NewReader(`{"text":"bench `+wrkSeq+`"}`))
	r.Header.Set("Authorization", "Bearer k]]")
	r.Header.Set("Content-Type", "application/json")
	c := benchCase{name: "wrk test", wrk: viaWrk(bin, r), concurrency: 4, measured: &process{name: "test", pids: []int{os.Getpid()}}}
	c.wrk.exact = exact
	got, err := loadWrk(context.Background(), c, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.quantiles != (exact == 0) {
		t.Fatalf("exact %d, yet quantiles %v", exact, got.quantiles)
	}
	if got.quantiles && int64(len(got.latencies)) != got.requests {
		t.Fatalf("quantiles stood for %d latencies, not the %d answers", len(got.latencies), got.requests)
	}
	mu.Lock()
	defer mu.Unlock()
	// wrk adds latencies of its own for the requests a slow answer held
	// back (its correction for coordinated omission): never fewer.
	if got.requests == 0 || got.failures != 0 || int64(len(got.latencies)) < got.requests {
		t.Fatalf("requests %d, failures %d (%s), latencies %d", got.requests, got.failures, got.failedBy, len(got.latencies))
	}
	if len(wrong) > 0 {
		t.Fatalf("requests not as the harness sends them: %v", wrong[:min(len(wrong), 3)])
	}
	for body, n := range bodies {
		if n > 1 || strings.Contains(body, wrkSeq) || !strings.HasPrefix(body, `{"text":"bench `) {
			t.Fatalf("body %q sent %d times", body, n)
		}
	}
}

func TestWrkScriptRefusesWhatLuaCannotQuote(t *testing.T) {
	r, _ := http.NewRequest("POST", "http://127.0.0.1/", strings.NewReader(`{"a":"]==]"}`))
	if _, err := viaWrk("wrk", r).script(1); err == nil {
		t.Fatal("a body holding ]==] was written into the script")
	}
}

// TestWrkQuantilesStandForTheirShare: 990 quantiles a thousandth apart and
// 100 a ten-thousandth apart stand for every answer, each for its share.
func TestWrkQuantilesStandForTheirShare(t *testing.T) {
	var out strings.Builder
	out.WriteString("wrk 20000 1000000 0 0 0 0 0\n")
	for i := 1; i <= 990; i++ {
		fmt.Fprintf(&out, "quantile %d 10\n", i)
	}
	for i := 9901; i <= 10000; i++ {
		fmt.Fprintf(&out, "quantile %d 1\n", i)
	}
	r, err := parseWrk([]byte(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(r.latencies)
	if len(r.latencies) != 20000 {
		t.Fatalf("%d latencies for 20000 answers", len(r.latencies))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 501 * time.Microsecond}, {0.99, 9901 * time.Microsecond}, {0.999, 9991 * time.Microsecond}} {
		if got := r.pct(c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p*100, got, c.want)
		}
	}
}
