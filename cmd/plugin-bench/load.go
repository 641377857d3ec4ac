package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// callTimeout is the longest a caller waits for an answer; a request not
// answered by then is a failure. It also bounds how long a case may run
// past its duration.
const callTimeout = 10 * time.Second

// benchCase is a request driven at the measured process: by concurrency
// callers (the -concurrency flag's when 0), each sending its next request
// when the last is answered, or, with a rate, at that many requests a
// second in all. req is caller i's next request: callers may be split
// between replicas.
type benchCase struct {
	name        string
	req         func(caller int) *http.Request
	measured    *process
	concurrency int
	rate        float64
	group       int
	// hostile, when set, misbehaves beside the callers for as long as
	// they run; its outcomes are tallied apart and never fail the run.
	hostile *hostileSpec
	// upstream, when set, counts the calls the fake LinkedIn received, so
	// the case reports LinkedIn calls per answer.
	upstream *atomic.Int64
	// serverLog, when set, is the measured server's log, from which the
	// case reads what the quiet workspace's executes took inside it.
	serverLog *logDrain
	// wrk, when set, is the request wrk sends instead of the harness's
	// own callers (see loadWrk); req is then unused.
	wrk *wrkRequest
}

// result is what a case measured, over one round or all of them.
type result struct {
	name               string
	requests, failures int64
	// hangups are requests the caller gave up on mid-call on purpose:
	// neither answered requests nor failures.
	hangups      int64
	failedBy     *tally
	hostile      *tally
	seconds, cpu float64
	// runnable is how long the process's threads waited for a CPU, ready
	// to run, in all: the machine's share of a slow answer, which no queue
	// of the server's decides.
	runnable float64
	// wall is the time cpu was measured over, the hostile workspace's
	// head start included; busy is the share of the whole machine's CPU
	// time that was used meanwhile, by anyone.
	wall, busy float64
	latencies  []time.Duration
	// quantiles says wrk sent quantiles of its latencies, not each one.
	quantiles bool
	// inServer are the quiet workspace's executes as the server logged
	// them, when the case reads its log.
	inServer []loggedExecute
	// upstream is how many calls LinkedIn received meanwhile, -1 when not
	// counted.
	upstream int64
	peakRSS  int64
	// rssReset says the kernel let the peak RSS be reset before each
	// round; otherwise peakRSS is the process's peak so far.
	rssReset    bool
	concurrency int
	// pacedAt is the rate asked for, when paced.
	pacedAt float64
	// process is whose CPU and RSS were measured.
	process string
	// roundP99s are each round's p99: a stall of the shared machine lands
	// in one round, so differences are taken round by round.
	roundP99s []time.Duration
}

// add takes in another round of the same case.
func (r *result) add(round result) {
	slices.Sort(round.latencies)
	round.roundP99s = []time.Duration{round.pct(0.99)}
	if r.name == "" {
		*r = round
		return
	}
	r.requests += round.requests
	r.upstream += round.upstream
	r.failures += round.failures
	r.hangups += round.hangups
	r.failedBy.merge(round.failedBy)
	r.hostile.merge(round.hostile)
	r.seconds += round.seconds
	r.busy = (r.busy*r.wall + round.busy*round.wall) / (r.wall + round.wall)
	r.cpu += round.cpu
	r.runnable += round.runnable
	r.wall += round.wall
	r.latencies = append(r.latencies, round.latencies...)
	r.inServer = append(r.inServer, round.inServer...)
	r.peakRSS = max(r.peakRSS, round.peakRSS)
	r.rssReset = r.rssReset && round.rssReset
	r.roundP99s = append(r.roundP99s, round.roundP99s...)
}

func (r result) rate() float64       { return float64(r.requests) / r.seconds }
func (r result) cpuPer1000() float64 { return r.cpu / float64(max(r.requests, 1)) * 1000 }

// callsPerAnswer is how many calls LinkedIn received for each request
// answered, -1 when the case did not count them.
func (r result) callsPerAnswer() float64 {
	if r.upstream < 0 {
		return -1
	}
	return float64(r.upstream) / float64(max(r.requests, 1))
}

// pct is a latency percentile; latencies must be sorted.
func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(float64(len(r.latencies))*p))]
}

// tally counts outcomes by what they were, e.g. "429 rate_limited".
type tally struct {
	mu sync.Mutex
	m  map[string]int64
}

func newTally() *tally { return &tally{m: map[string]int64{}} }

func (t *tally) add(outcome string) {
	if outcome == "" {
		return
	}
	t.mu.Lock()
	t.m[outcome]++
	t.mu.Unlock()
}

func (t *tally) merge(o *tally) {
	if t == nil || o == nil {
		return
	}
	for k, n := range o.m {
		t.m[k] += n
	}
}

// String lists the outcomes, most frequent first.
func (t *tally) String() string {
	if t == nil || len(t.m) == 0 {
		return ""
	}
	keys := slices.Collect(maps.Keys(t.m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(t.m[b], t.m[a]), strings.Compare(a, b)) })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, t.m[k]))
	}
	return strings.Join(parts, ", ")
}

// outcome names an answer by its status and, for an error, the code of
// the server's error envelope; body is at most the answer's first bytes.
func outcome(status int, body []byte) string {
	var env struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
		if status >= 500 { // LinkedIn's failure, as the server saw it: say which
			return fmt.Sprintf("%d %s (%.100s)", status, env.Error.Code, env.Error.Message)
		}
		return fmt.Sprintf("%d %s", status, env.Error.Code)
	}
	return fmt.Sprint(status)
}

// failure names a request that got no answer, without addresses, so that
// alike failures count together.
func failure(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer within %s", callTimeout)
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return "connection closed"
	}
	return "connection error"
}

// caller is one caller's state across its requests.
type caller struct {
	// lastCall is how long its last answered request took, from sending
	// to the end of the answer: a hang-up lands at a random moment within
	// as long, so mostly while the server works on the call.
	lastCall time.Duration
}

// do sends one request and reads the whole answer. With hangUp, the caller
// cancels it at a random moment after sending, which closes the
// connection; hungUp says the cancellation came before the answer ended.
func (c *caller) do(client *http.Client, req *http.Request, hangUp bool) (ok, hungUp bool, what string) {
	var fired atomic.Bool
	if hangUp {
		ctx, cancel := context.WithCancel(req.Context())
		defer cancel()
		var timer atomic.Pointer[time.Timer]
		defer func() {
			if t := timer.Load(); t != nil {
				t.Stop()
			}
		}()
		within := max(c.lastCall, 100*time.Microsecond)
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
			timer.Store(time.AfterFunc(rand.N(within), func() { fired.Store(true); cancel() }))
		}}
		req = req.WithContext(httptrace.WithClientTrace(ctx, trace))
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		var head []byte
		if resp.StatusCode >= 300 {
			head, _ = io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil {
			c.lastCall = time.Since(start)
			if resp.StatusCode >= 300 {
				return false, false, outcome(resp.StatusCode, head)
			}
			return true, false, ""
		}
	}
	if fired.Load() && errors.Is(err, context.Canceled) {
		return false, true, ""
	}
	return false, false, failure(err)
}

// load drives one case and measures its process: the server's own for the
// server's cases, this harness's for the direct one. A share hangups of
// the requests are hung up on mid-call.
func load(ctx context.Context, c benchCase, d time.Duration, hangups float64) (result, error) {
	if c.wrk != nil {
		return loadWrk(ctx, c, d)
	}
	client := &http.Client{Transport: transport(), Timeout: callTimeout}
	// Connections left open would weigh on the next case's memory.
	defer client.CloseIdleConnections()
	m := startMeasuring(c)
	var hostile *tally
	var hostileP *hostileProc
	if c.hostile != nil {
		var err error
		if hostileP, err = startHostile(*c.hostile); err != nil {
			return result{}, err
		}
		hostile = newTally()
		// The hostile workspace gets going first, so the callers meet it
		// at its worst from their first request.
		time.Sleep(min(d/10, 500*time.Millisecond))
	}
	m.upstreamFrom()
	var logged int
	if c.serverLog != nil {
		logged = c.serverLog.keepQuiet()
	}
	var mu sync.Mutex
	var latencies []time.Duration
	var requests, failures, hungUp atomic.Int64
	failedBy := newTally()
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	// A paced caller's latency counts from when its request was due, so a
	// slow answer that delays the next request is not hidden.
	var every time.Duration
	if c.rate > 0 {
		every = time.Duration(float64(c.concurrency) / c.rate * float64(time.Second))
	}
	for i := range c.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cl caller
			local := make([]time.Duration, 0, 4096)
			due := start.Add(every * time.Duration(i) / time.Duration(c.concurrency))
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				if every > 0 {
					time.Sleep(time.Until(due))
					t0, due = due, due.Add(every)
				}
				ok, hangup, what := cl.do(client, c.req(i), hangups > 0 && rand.Float64() < hangups)
				switch {
				case hangup:
					hungUp.Add(1)
					continue
				case !ok:
					failures.Add(1)
					failedBy.add(what)
				}
				local = append(local, time.Since(t0))
				requests.Add(1)
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	seconds := time.Since(start).Seconds()
	upstream := m.upstreamSince()
	if hostileP != nil {
		if err := hostileP.stop(hostile); err != nil {
			return result{}, fmt.Errorf("the hostile workspace's process: %w", err)
		}
	}
	var inServer []loggedExecute
	if c.serverLog != nil {
		inServer, _ = c.serverLog.quietSince(logged)
	}
	return m.result(c, result{inServer: inServer, requests: requests.Load(), upstream: upstream, failures: failures.Load(), hangups: hungUp.Load(), failedBy: failedBy, hostile: hostile,
		seconds: seconds, latencies: latencies}), nil
}

// measuring is what a case measures of its process and the machine, from
// before its load starts.
type measuring struct {
	measured       *process
	rssReset       bool
	cpu, runnable  float64
	machine        machineTicks
	began          time.Time
	upstream       *atomic.Int64
	upstreamBefore int64
}

// startMeasuring resets c's process's peak RSS where it can and notes its
// CPU, the machine's and the calls LinkedIn has received so far.
func startMeasuring(c benchCase) *measuring {
	m := &measuring{measured: c.measured, rssReset: c.measured.resetPeakRSS(), upstream: c.upstream}
	runtime.GC()
	m.cpu, m.machine, m.began, m.runnable = c.measured.cpuSeconds(), machineCPU(), time.Now(), c.measured.runnableSeconds()
	m.upstreamFrom()
	return m
}

// upstreamFrom counts LinkedIn's calls from now: after a hostile
// workspace's head start, whose calls are not the case's.
func (m *measuring) upstreamFrom() {
	if m.upstream != nil {
		m.upstreamBefore = m.upstream.Load()
	}
}

// upstreamSince is how many calls LinkedIn received since upstreamFrom, -1
// when the case does not count them.
func (m *measuring) upstreamSince() int64 {
	if m.upstream == nil {
		return -1
	}
	return m.upstream.Load() - m.upstreamBefore
}

// result is what the load measured, r (LinkedIn's calls included: see
// upstreamSince), with what m measured of the process and the machine
// since it started.
func (m *measuring) result(c benchCase, r result) result {
	r.name, r.concurrency, r.pacedAt, r.process = c.name, c.concurrency, c.rate, c.measured.name
	r.runnable = m.measured.runnableSeconds() - m.runnable
	r.cpu = m.measured.cpuSeconds() - m.cpu
	r.wall = time.Since(m.began).Seconds()
	r.busy = machineCPU().busySince(m.machine)
	r.peakRSS, r.rssReset = m.measured.peakRSS(), m.rssReset
	return r
}

// resetPeakRSS resets the processes' peak RSS where Linux allows, and
// says whether it could for each.
func (p *process) resetPeakRSS() bool {
	reset := true
	for _, pid := range p.pids {
		reset = os.WriteFile(procDir(pid)+"clear_refs", []byte("5"), 0) == nil && reset
	}
	return reset
}

// cpuSeconds is the processes' CPU time, summed.
func (p *process) cpuSeconds() float64 {
	var s float64
	for _, pid := range p.pids {
		s += cpuSeconds(procDir(pid))
	}
	return s
}

// peakRSS is the largest of the processes' peak RSS.
func (p *process) peakRSS() int64 {
	var peak int64
	for _, pid := range p.pids {
		peak = max(peak, peakRSS(procDir(pid)))
	}
	return peak
}

// runnableSeconds is how long the processes' threads have waited on the
// kernel's run queues, summed (the second field of each thread's
// schedstat, in nanoseconds); 0 where the kernel keeps no schedstat.
func (p *process) runnableSeconds() float64 {
	var ns int64
	for _, pid := range p.pids {
		stats, _ := filepath.Glob(procDir(pid) + "task/*/schedstat")
		for _, path := range stats {
			raw, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			if f := strings.Fields(string(raw)); len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				ns += n
			}
		}
	}
	return float64(ns) / 1e9
}

func procDir(pid int) string { return fmt.Sprintf("/proc/%d/", pid) }

// cpuSeconds is the user and system time of a process, from its stat file.
func cpuSeconds(proc string) float64 {
	raw, err := os.ReadFile(proc + "stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which may hold spaces: utime and
	// stime are the 12th and 13th, in clock ticks (100 a second on Linux).
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	var utime, stime float64
	fmt.Sscan(fields[11], &utime)
	fmt.Sscan(fields[12], &stime)
	return (utime + stime) / 100
}

// machineTicks are the whole machine's CPU ticks, from /proc/stat.
type machineTicks struct{ busy, all float64 }

func machineCPU() machineTicks {
	raw, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(raw), "\n")
	var t machineTicks
	for i, f := range strings.Fields(line)[1:] {
		var v float64
		fmt.Sscan(f, &v)
		t.all += v
		if i != 3 && i != 4 { // idle and iowait
			t.busy += v
		}
	}
	return t
}

func (t machineTicks) busySince(before machineTicks) float64 {
	if t.all <= before.all {
		return 0
	}
	return (t.busy - before.busy) / (t.all - before.all)
}

// peakRSS is VmHWM from a process's status file, in bytes.
func peakRSS(proc string) int64 {
	raw, _ := os.ReadFile(proc + "status")
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
