// Command plugin-bench is the load harness: on loopback it starts a fake
// LinkedIn, the plugin server, and a bare httputil.ReverseProxy to the same
// fake as the reference (each of the two in a process of its own), drives
// each with the same concurrency for a bounded time, and prints requests/s,
// latency percentiles, CPU per 1,000 requests and peak RSS, with the ratios
// to the reference.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"pluginserver/internal/app"
	"pluginserver/internal/config"
	"pluginserver/plugin/linkedin/sandbox"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plugin-bench:", err)
		os.Exit(1)
	}
}

// benchCase is a request driven at the measured process: by concurrency
// callers (the -concurrency flag's when 0), each sending its next request
// when the last is answered, or, with a rate, at that many requests a
// second in all.
type benchCase struct {
	name        string
	req         func() *http.Request
	measured    *spawned
	concurrency int
	rate        float64
}

// result is what a case measured, over one round or all of them.
type result struct {
	name               string
	requests, failures int64
	seconds, cpu       float64
	latencies          []time.Duration
	peakRSS            int64
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
	r.failures += round.failures
	r.seconds += round.seconds
	r.cpu += round.cpu
	r.latencies = append(r.latencies, round.latencies...)
	r.peakRSS = max(r.peakRSS, round.peakRSS)
	r.rssReset = r.rssReset && round.rssReset
	r.roundP99s = append(r.roundP99s, round.roundP99s...)
}

// p99Added is what the server's p99 adds to the reference's, round by
// round, and the median of those.
func p99Added(server, reference result) (perRound []time.Duration, median time.Duration) {
	for i := range min(len(server.roundP99s), len(reference.roundP99s)) {
		perRound = append(perRound, (server.roundP99s[i] - reference.roundP99s[i]).Round(10*time.Microsecond))
	}
	sorted := slices.Sorted(slices.Values(perRound))
	if n := len(sorted); n > 0 {
		median = (sorted[(n-1)/2] + sorted[n/2]) / 2
	}
	return perRound, median
}

func (r result) rate() float64       { return float64(r.requests) / r.seconds }
func (r result) cpuPer1000() float64 { return r.cpu / float64(max(r.requests, 1)) * 1000 }

// pct is a latency percentile; latencies must be sorted.
func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(float64(len(r.latencies))*p))]
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("plugin-bench", flag.ContinueOnError)
	duration := fs.Duration("duration", 10*time.Second, "how long each case runs")
	concurrency := fs.Int("concurrency", 64, "concurrent callers")
	rounds := fs.Int("rounds", 4, "rounds the cases take turns in, so a change in the machine's load touches every case alike")
	short := fs.Bool("short", false, "a few seconds per case, for CI: fails only on errors")
	report := fs.String("report", "", "also write the results to this Markdown file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server process to this file")
	// The paced cases ask at a rate both can keep up with, so their
	// latencies are what each adds to a call rather than time queued on a
	// saturated machine.
	paced := fs.Float64("paced", 1000, "requests a second the paced cases ask for, in all")
	only := fs.String("run", "", "run only the cases whose name contains this")
	serveFor := fs.String("serve-for", "", "(internal) serve the plugin server against this LinkedIn until stdin closes")
	referenceFor := fs.String("reference-for", "", "(internal) serve the reference proxy to this LinkedIn until stdin closes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *short {
		*duration, *rounds = 2*time.Second, 1
	}
	*rounds = max(*rounds, 1)
	*duration = min(*duration, 2*time.Minute)
	switch {
	case *serveFor != "":
		return serveUntilStdinCloses(ctx, *cpuProfile, out, func() (*http.Server, []string, error) { return startServer(ctx, *serveFor) })
	case *referenceFor != "":
		return serveUntilStdinCloses(ctx, *cpuProfile, out, func() (*http.Server, []string, error) { return startReference(*referenceFor) })
	}

	fakeLn, fakeURL, err := listen()
	if err != nil {
		return err
	}
	fake := serveOn(fakeLn, sandbox.New(sandbox.Options{BaseURL: fakeURL, Record: 1}))
	defer fake.Close()
	// The server and the reference proxy each run in a process of their
	// own, so both are measured the same way and apart from the load
	// generator and the fake.
	server, err := spawn("-serve-for", fakeURL, "-cpuprofile", *cpuProfile)
	if err != nil {
		return err
	}
	defer server.stop()
	serverURL, id := server.said[0], server.said[1]
	reference, err := spawn("-reference-for", fakeURL)
	if err != nil {
		return err
	}
	defer reference.stop()
	referenceURL := reference.said[0]
	token, err := fakeToken(fakeURL)
	if err != nil {
		return err
	}

	var seq atomic.Int64
	post := func() string {
		return fmt.Sprintf(`{"author":"urn:li:person:782bbtaQ","lifecycleState":"PUBLISHED","specificContent":{"com.linkedin.ugc.ShareContent":{"shareCommentary":{"text":"bench %d"},"shareMediaCategory":"NONE"}},"visibility":{"com.linkedin.ugc.MemberNetworkVisibility":"PUBLIC"}}`, seq.Add(1))
	}
	execute := func(command, params string) func() *http.Request {
		return func() *http.Request {
			r, _ := http.NewRequest("POST", serverURL+"/v1/datasources/"+id+"/execute", strings.NewReader(`{"command":"`+command+`","params":`+params+`}`))
			return r
		}
	}
	referenceUserInfo := func() *http.Request {
		r, _ := http.NewRequest("GET", referenceURL+"/v2/userinfo", nil)
		return r
	}
	referencePost := func() *http.Request {
		r, _ := http.NewRequest("POST", referenceURL+"/v2/ugcPosts", strings.NewReader(post()))
		r.Header.Set("X-Restli-Protocol-Version", "2.0.0")
		return r
	}
	serverUserInfo := execute("getUserInfo", "{}")
	serverPost := func() *http.Request {
		return execute("createPost", fmt.Sprintf(`{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"bench %d","visibility":"PUBLIC"}`, seq.Add(1)))()
	}
	harness := &spawned{pid: os.Getpid()}
	cases := []benchCase{
		{name: "direct getUserInfo (the floor)", measured: harness, req: func() *http.Request {
			r, _ := http.NewRequest("GET", fakeURL+"/v2/userinfo", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			return r
		}},
		{name: "reference proxy getUserInfo", req: referenceUserInfo, measured: reference},
		{name: "server getUserInfo", req: serverUserInfo, measured: server},
		{name: "reference proxy createPost", req: referencePost, measured: reference},
		{name: "server createPost", req: serverPost, measured: server},
		{name: "reference proxy getUserInfo, paced", req: referenceUserInfo, measured: reference, rate: *paced},
		{name: "server getUserInfo, paced", req: serverUserInfo, measured: server, rate: *paced},
		{name: "reference proxy createPost, paced", req: referencePost, measured: reference, rate: *paced},
		{name: "server createPost, paced", req: serverPost, measured: server, rate: *paced},
		{name: "reference proxy getUserInfo, 1,000 callers", req: referenceUserInfo, measured: reference, concurrency: 1000},
		{name: "server getUserInfo, 1,000 callers", req: serverUserInfo, measured: server, concurrency: 1000},
	}
	cases = slices.DeleteFunc(cases, func(c benchCase) bool { return !strings.Contains(c.name, *only) })
	results := make([]result, len(cases))
	// Cases with as many callers take turns; the 1,000-caller ones come
	// after the others, whose peak RSS they would otherwise raise.
	for _, callers := range []int{0, 1000} {
		for range *rounds {
			for i, c := range cases {
				if c.concurrency != callers {
					continue
				}
				c.concurrency = cmp.Or(c.concurrency, *concurrency)
				r, err := load(ctx, c, *duration/time.Duration(*rounds))
				if err != nil {
					return err
				}
				results[i].add(r)
			}
		}
	}
	for _, r := range results {
		slices.Sort(r.latencies)
	}
	table := render(results, *duration, *rounds)
	fmt.Fprint(out, table)
	var failed []string
	for _, r := range results {
		if r.failures > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d of %d requests failed", r.name, r.failures, r.requests))
		}
	}
	if *report != "" && !*short {
		if err := os.WriteFile(*report, []byte(markdown(table)), 0o644); err != nil {
			return err
		}
	}
	if failed != nil {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

func transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Every caller keeps its connection: a pool smaller than the callers
	// breaks connections mid-request under load.
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 2048, 2048
	return t
}

func listen() (net.Listener, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	return ln, "http://" + ln.Addr().String(), nil
}

func serveOn(ln net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return srv
}

// fakeToken gets the reference proxy a token of its own from the fake, the
// way the server got its: consent, then the code exchanged.
func fakeToken(fakeURL string) (string, error) {
	const redirect = "http://127.0.0.1/callback"
	auth := fakeURL + "/oauth/v2/authorization?" + url.Values{"response_type": {"code"}, "client_id": {sandbox.ClientID},
		"redirect_uri": {redirect}, "state": {"bench"}, "scope": {"openid profile email w_member_social"}}.Encode()
	back, err := sandbox.Consent(http.DefaultTransport, auth, true)
	if err != nil {
		return "", err
	}
	resp, err := http.PostForm(fakeURL+"/oauth/v2/accessToken", url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
		"client_id": {sandbox.ClientID}, "client_secret": {sandbox.ClientSecret}, "redirect_uri": {redirect}})
	if err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	decode(resp, &tok)
	if tok.AccessToken == "" {
		return "", errors.New("the fake LinkedIn gave no token")
	}
	return tok.AccessToken, nil
}

// startServer starts the plugin server against the fake and authorizes a
// datasource through the fake's consent page.
func startServer(ctx context.Context, fakeURL string) (*http.Server, []string, error) {
	dir, err := os.MkdirTemp("", "plugin-bench")
	if err != nil {
		return nil, nil, err
	}
	env := sandbox.Env(fakeURL)
	env["PLUGIN_SERVER_RATE_LIMIT"], env["PLUGIN_SERVER_CIRCUIT_THRESHOLD"] = "0", "1000000"
	cfg, err := config.Parse([]string{"--db", filepath.Join(dir, "bench.db")}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		return nil, nil, err
	}
	// This process is the server's, so it takes the server's memory limit
	// as cmd/plugin-server does.
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	ln, base, err := listen()
	if err != nil {
		return nil, nil, err
	}
	cfg.Resolve(strings.TrimPrefix(base, "http://"))
	a, err := app.New(ctx, cfg, zerolog.Nop(), app.Options{})
	if err != nil {
		return nil, nil, err
	}
	srv := serveOn(ln, a.Handler)
	srv.RegisterOnShutdown(func() { a.Close(); os.RemoveAll(dir) })
	post := func(path, body string) (*http.Response, error) {
		return http.Post(base+path, "application/json", strings.NewReader(body))
	}
	resp, err := post("/v1/datasources", `{"plugin":"linkedin","name":"bench"}`)
	if err != nil {
		return nil, nil, err
	}
	var ds struct{ ID string }
	decode(resp, &ds)
	resp, err = post("/v1/datasources/"+ds.ID+"/authorize", "")
	if err != nil {
		return nil, nil, err
	}
	var auth struct{ AuthorizationURL string }
	decode(resp, &auth)
	back, err := sandbox.Consent(http.DefaultTransport, auth.AuthorizationURL, true)
	if err != nil {
		return nil, nil, err
	}
	if resp, err = http.Get(back.String()); err != nil {
		return nil, nil, err
	}
	resp.Body.Close()
	return srv, []string{base, ds.ID}, nil
}

// startReference starts the bare reverse proxy to the fake, with a token of
// its own.
func startReference(fakeURL string) (*http.Server, []string, error) {
	token, err := fakeToken(fakeURL)
	if err != nil {
		return nil, nil, err
	}
	target, _ := url.Parse(fakeURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = transport()
	ln, base, err := listen()
	if err != nil {
		return nil, nil, err
	}
	return serveOn(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
		proxy.ServeHTTP(w, r)
	})), []string{base}, nil
}

func decode(resp *http.Response, v any) {
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, v)
}

// load drives one case and measures the process pid: the server's own for
// the server's cases, this harness's for the others.
func load(ctx context.Context, c benchCase, d time.Duration) (result, error) {
	client := &http.Client{Transport: transport(), Timeout: 30 * time.Second}
	// Connections left open would weigh on the next case's memory.
	defer client.CloseIdleConnections()
	proc := fmt.Sprintf("/proc/%d/", c.measured.pid)
	rssReset := os.WriteFile(proc+"clear_refs", []byte("5"), 0) == nil // resets the peak RSS where Linux allows
	runtime.GC()
	cpuBefore := cpuSeconds(proc)
	var mu sync.Mutex
	var latencies []time.Duration
	var requests, failures atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	// A paced caller's latency counts from when its request was due, so a
	// slow answer that delays the next request is not hidden.
	var every time.Duration
	if c.rate > 0 {
		every = time.Duration(float64(c.concurrency) / c.rate * float64(time.Second))
	}
	for caller := range c.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			due := start.Add(every * time.Duration(caller) / time.Duration(c.concurrency))
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				if every > 0 {
					time.Sleep(time.Until(due))
					t0, due = due, due.Add(every)
				}
				resp, err := client.Do(c.req())
				ok := err == nil && resp.StatusCode < 300
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				local = append(local, time.Since(t0))
				requests.Add(1)
				if !ok {
					failures.Add(1)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return result{name: c.name, requests: requests.Load(), failures: failures.Load(), seconds: time.Since(start).Seconds(),
		cpu: cpuSeconds(proc) - cpuBefore, latencies: latencies, peakRSS: peakRSS(proc), rssReset: rssReset,
		concurrency: c.concurrency, pacedAt: c.rate, process: c.measured.name()}, nil
}

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

func render(rs []result, d time.Duration, rounds int) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s per case, in %d rounds the cases take turns in; all on 127.0.0.1\n\n", d, rounds)
	fmt.Fprintf(&b, "| case | callers | requests/s | p50 | p99 | p99.9 | CPU s / 1000 req | peak RSS | measured | failures |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		rss := fmt.Sprintf("%.0f MiB", float64(r.peakRSS)/(1<<20))
		if !r.rssReset {
			rss += " (so far)"
		}
		callers := strconv.Itoa(r.concurrency)
		if r.pacedAt > 0 {
			callers += fmt.Sprintf(", asking %.0f/s", r.pacedAt)
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s | %s | %.3f | %s | %s | %d |\n", r.name, callers, r.rate(),
			r.pct(0.5).Round(10*time.Microsecond), r.pct(0.99).Round(10*time.Microsecond), r.pct(0.999).Round(10*time.Microsecond), r.cpuPer1000(), rss, r.process, r.failures)
	}
	byName := map[string]result{}
	for _, r := range rs {
		byName[r.name] = r
	}
	for _, command := range []string{"getUserInfo", "createPost"} {
		var said []string
		if server, ref, ok := pair(byName, command); ok {
			perRound, median := p99Added(server, ref)
			said = append(said, fmt.Sprintf("throughput %.2f of the reference proxy's, p99 added %s (by round %s)",
				server.rate()/ref.rate(), median.Round(10*time.Microsecond), roundList(perRound)))
		}
		if server, ref, ok := pair(byName, command+", paced"); ok {
			perRound, median := p99Added(server, ref)
			said = append(said, fmt.Sprintf("paced, p50 added %s and p99 added %s (by round %s)",
				(server.pct(0.5)-ref.pct(0.5)).Round(10*time.Microsecond), median.Round(10*time.Microsecond), roundList(perRound)))
		}
		if said != nil {
			fmt.Fprintf(&b, "\n%s: %s", command, strings.Join(said, "; "))
		}
	}
	b.WriteString("\n")
	return b.String()
}

func roundList(ds []time.Duration) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// pair is the server's and the reference's result of a case.
func pair(byName map[string]result, what string) (server, reference result, ok bool) {
	server, ok1 := byName["server "+what]
	reference, ok2 := byName["reference proxy "+what]
	return server, reference, ok1 && ok2
}

// markdown is the report for docs/benchmarks.md, with the machine.
func markdown(table string) string {
	model := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf(`# Benchmarks

Measured by `+"`go run ./cmd/plugin-bench -report docs/benchmarks.md`"+` on %s, %d cores, %s, %s.
Everything shares the machine. The plugin server and the reference proxy (a bare
httputil.ReverseProxy to the same fake LinkedIn) each run in a process of their own,
and their rows measure that process's CPU and peak RSS; the direct row measures the
harness process (load generator and fake LinkedIn). Cases with as many callers take
turns in rounds, so a change in the machine's other load touches each alike. Peak
RSS is reset before each round where the kernel allows; "(so far)" marks a peak up
to that case. The server runs with its defaults, its 48 MiB memory limit included, but logs nothing.
Paced callers' latency counts from when each request was due. "p99 added" is the
median, over rounds, of the server's p99 less the reference's in the same round;
each round's difference is listed after it.

%s`, model, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"), table)
}

// spawned is a process of this harness: the plugin server, the reference
// proxy, or (with no cmd) the harness itself.
type spawned struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	pid   int
	// said is what the process printed when it was ready: its URL and,
	// for the server, the datasource.
	said []string
}

func (s *spawned) name() string {
	if s.cmd == nil {
		return "harness"
	}
	return map[string]string{"-serve-for": "server", "-reference-for": "reference"}[s.cmd.Args[1]]
}

func (s *spawned) stop() {
	s.stdin.Close()
	s.cmd.Wait()
}

// spawn runs this program again with args, and waits for its first line.
func spawn(args ...string) (*spawned, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not start: %w", args[0], err)
	}
	return &spawned{cmd: cmd, stdin: stdin, pid: cmd.Process.Pid, said: strings.Fields(line)}, nil
}

// serveUntilStdinCloses is a spawned process: it prints what start says,
// and stops when its parent closes stdin (or dies).
func serveUntilStdinCloses(ctx context.Context, cpuProfile string, out io.Writer, start func() (*http.Server, []string, error)) error {
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	srv, said, err := start()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, strings.Join(said, " "))
	io.Copy(io.Discard, os.Stdin)
	return srv.Shutdown(context.Background())
}
