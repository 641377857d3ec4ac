package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// wrkSeq marks where in a request body wrk puts a number of its own, so
// that no two posts it sends are alike (LinkedIn refuses a duplicate).
const wrkSeq = "{seq}"

// wrkRequest is one case's request as wrk sends it, taken from the
// http.Request the harness's own callers send, so both drive the same.
type wrkRequest struct {
	bin     string // the wrk program
	method  string
	url     string
	headers http.Header
	body    string // may hold wrkSeq once
	// exact is how many distinct latencies wrk may report one by one;
	// past it, quantiles (wrkExactDistinct but in tests).
	exact int
}

// viaWrk is r, sent by wrk at bin.
func viaWrk(bin string, r *http.Request) *wrkRequest {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	return &wrkRequest{bin: bin, method: r.Method, url: r.URL.String(), headers: r.Header, body: string(body), exact: wrkExactDistinct}
}

// wrkExactDistinct is how many distinct latencies the script reports one
// by one. wrk's latency(i) walks its histogram, a slot per microsecond,
// from the start on every call, so reading them all costs their number
// times the histogram's span: at 1,000 callers wrk spent 20 to 30 s of a
// core on it after each case. Past this many, 1,090 quantiles stand for
// them: every 0.1% to 99%, then every 0.01%.
const wrkExactDistinct = 1000

// script is the Lua wrk runs: the request, a number of its own in the body
// where it holds wrkSeq, and at the end the totals and the latencies wrk
// recorded, in microseconds, so rounds merge as the harness's own callers'
// do: each with how many times it was seen, or quantiles with the share of
// samples each stands for, in ten-thousandths. wrk's latencies hold,
// besides one per answer, the samples it adds for requests a slow answer
// held back (its correction for coordinated omission).
func (w *wrkRequest) script(run int64) (string, error) {
	var b strings.Builder
	quote := func(s string) (string, error) {
		if strings.Contains(s, "]==]") {
			return "", fmt.Errorf("wrk: %q cannot go in a Lua long string", s)
		}
		return "[==[" + s + "]==]", nil
	}
	method, err := quote(w.method)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "wrk.method = %s\n", method)
	for _, name := range slices.Sorted(maps.Keys(w.headers)) {
		k, err := quote(name)
		if err != nil {
			return "", err
		}
		v, err := quote(w.headers.Get(name))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "wrk.headers[ %s ] = %s\n", k, v) // "[[" would open a long string
	}
	before, after, numbered := strings.Cut(w.body, wrkSeq)
	if before, err = quote(before); err != nil {
		return "", err
	}
	if after, err = quote(after); err != nil {
		return "", err
	}
	if numbered {
		fmt.Fprintf(&b, `local before, after = %s, %s
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread", threads)
end
local n = 0
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, before .. "%d-" .. thread .. "-" .. n .. after)
end
`, before, after, run)
	} else {
		fmt.Fprintf(&b, "wrk.body = %s\n", before)
	}
	b.WriteString(`function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("wrk %d %d %d %d %d %d %d\n", summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
  local distinct = #latency
  if distinct <= ` + strconv.Itoa(w.exact) + ` then
    for i = 1, distinct do
      local us, count = latency(i)
      io.write(string.format("latency %d %d\n", us, count))
    end
    return
  end
  for i = 1, 990 do
    io.write(string.format("quantile %d 10\n", latency:percentile(i / 10)))
  end
  for i = 9901, 10000 do
    io.write(string.format("quantile %d 1\n", latency:percentile(i / 100)))
  end
end
`)
	return b.String(), nil
}

// loadWrk drives case c with wrk for d, rounded to a second (wrk takes
// whole seconds; its rate is from its own duration): c.concurrency
// connections on as many threads as cores, each sending its next request
// when the last is answered, as the measurements did. wrk hangs up
// only at its end, on the calls then in flight, which it counts nowhere.
func loadWrk(ctx context.Context, c benchCase, d time.Duration) (result, error) {
	// A run of its own in every post's text, so no run repeats another's.
	script, err := c.wrk.script(rand.Int64())
	if err != nil {
		return result{}, err
	}
	dir, err := os.MkdirTemp("", "plugin-bench-wrk")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "case.lua")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		return result{}, err
	}
	threads := min(runtime.NumCPU(), c.concurrency)
	m := startMeasuring(c)
	cmd := exec.CommandContext(ctx, c.wrk.bin, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(c.concurrency),
		"-d", strconv.Itoa(max(int(d.Round(time.Second)/time.Second), 1))+"s", "--timeout", callTimeout.String(), "-s", path, c.wrk.url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dieWithParent(cmd)
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%s: wrk: %w: %s", c.name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	r, err := parseWrk(out)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", c.name, err)
	}
	r.upstream = m.upstreamSince()
	return m.result(c, r), nil
}

// parseWrk reads what script's done printed: requests answered, failures
// by kind and latencies; seconds is how long wrk ran.
func parseWrk(out []byte) (result, error) {
	var r result
	r.failedBy = newTally()
	seen := false
	var owed int64 // ten-thousandths of a sample the quantiles so far stand for
	lines := bufio.NewScanner(bytes.NewReader(out))
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		switch {
		case len(f) == 8 && f[0] == "wrk":
			var n [7]int64
			for i := range n {
				n[i], _ = strconv.ParseInt(f[i+1], 10, 64)
			}
			r.requests, r.seconds = n[0], float64(n[1])/1e6
			for i, kind := range []string{"connect error", "read error", "write error", "not 2xx or 3xx", "no answer within " + callTimeout.String()} {
				if n[2+i] > 0 {
					r.failedBy.m[kind] += n[2+i]
					r.failures += n[2+i]
				}
			}
			seen = true
		case len(f) == 3 && f[0] == "latency":
			us, _ := strconv.ParseInt(f[1], 10, 64)
			count, _ := strconv.Atoi(f[2])
			for range count {
				r.latencies = append(r.latencies, time.Duration(us)*time.Microsecond)
			}
		case len(f) == 3 && f[0] == "quantile":
			// A quantile stands for its share of the answers.
			us, _ := strconv.ParseInt(f[1], 10, 64)
			share, _ := strconv.ParseInt(f[2], 10, 64)
			r.quantiles = true
			for owed += r.requests * share; owed >= 10000; owed -= 10000 {
				r.latencies = append(r.latencies, time.Duration(us)*time.Microsecond)
			}
		}
	}
	if !seen {
		return r, fmt.Errorf("wrk printed no totals: %.200s", out)
	}
	return r, nil
}
