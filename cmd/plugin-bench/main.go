// Command plugin-bench is the load harness: on loopback it starts a fake
// LinkedIn, the plugin server as users run it (cmd/plugin-server, built and
// started with its defaults, logging on), and a bare httputil.ReverseProxy
// to the same fake as the reference, each of the two in a process of its
// own. It drives each with the same callers for a bounded time, a share of
// whom hang up mid-call, and prints requests/s, latency percentiles, CPU per
// 1,000 requests and peak RSS, with the ratios to the reference. Cases for
// two workspaces measure how much a hostile workspace (slow bodies, bad
// input, floods) takes from a quiet one.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"pluginserver/plugin/linkedin/sandbox"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plugin-bench:", err)
		os.Exit(1)
	}
}

// Groups of cases, run one group after the other. Cases of a group take
// turns in rounds. The 1,000-caller cases come after the 64-caller ones,
// whose peak RSS they would otherwise raise where the kernel does not let
// it be reset; the two-workspace cases come last, so what a hostile
// workspace leaves behind (an open circuit, say) touches no other case.
// caseViewers is a thousand viewers of one app page running the same read
// on load: the server shares identical reads in flight.
const caseViewers = "server getUserInfo, 1,000 callers"

const (
	groupCallers = iota
	groupThousand
	groupWorkspaces
)

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("plugin-bench", flag.ContinueOnError)
	duration := fs.Duration("duration", 10*time.Second, "how long each case runs")
	concurrency := fs.Int("concurrency", 64, "concurrent callers")
	rounds := fs.Int("rounds", 4, "rounds the cases take turns in, so a change in the machine's load touches every case alike")
	short := fs.Bool("short", false, "a second per case and a small hostile workspace, for CI: fails only on errors")
	report := fs.String("report", "", "also write the results to this Markdown file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server process to this file (with -postgres, the replicas' beside it: this file's name with .replica1 and .replica2 added)")
	postgres := fs.String("postgres", "", "a postgres:// URL: also run getUserInfo on two replicas sharing a schema of their own in this database, and on one, beside the SQLite cases (even with -short); the schema is dropped after")
	// The paced cases ask at a rate both can keep up with, so their
	// latencies are what each adds to a call rather than time queued on a
	// saturated machine.
	paced := fs.Float64("paced", 1000, "requests a second the paced cases (and the quiet workspace) ask for, in all")
	hangups := fs.Float64("hangups", 0.05, "share of requests whose caller hangs up mid-call, closing the connection, as wrk and browsers do")
	slowBodies := fs.Int("slow-bodies", 150, "connections at once of the hostile workspace sending an execute body a byte at a time")
	flood := fs.Int("flood", 256, "getUserInfo callers of the hostile workspace's flood, as fast as they can")
	bigBodies := fs.Int("big-bodies", 16, "callers of the hostile workspace's flood sending 20 MiB JSON bodies, as fast as they can")
	wrk := fs.String("wrk", "", "the wrk program: also drive getUserInfo and createPost at 64 and 1,000 callers with it, on the server and the reference proxy, as the issue's first measurements were")
	only := fs.String("run", "", "run only the cases whose name contains this")
	referenceFor := fs.String("reference-for", "", "(internal) serve the reference proxy to this LinkedIn until stdin closes")
	hostileFor := fs.String("hostile-for", "", "(internal) misbehave as this hostile workspace until stdin closes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *referenceFor != "":
		return serveReference(*referenceFor, out)
	case *hostileFor != "":
		return serveHostile(*hostileFor, out)
	}
	if *hangups < 0 || *hangups >= 1 {
		return fmt.Errorf("-hangups %v: must be at least 0 and below 1", *hangups)
	}
	if *wrk != "" {
		path, err := exec.LookPath(*wrk)
		if err != nil {
			return fmt.Errorf("-wrk: %w (Debian: apt-get install wrk)", err)
		}
		*wrk = path
	}
	if *postgres != "" {
		if err := checkDSN(*postgres); err != nil {
			return err
		}
	}
	hostile := hostileSizes{SlowBodies: *slowBodies, SlowEvery: 300 * time.Millisecond, BadCallers: 64, Flood: *flood, BigBodies: *bigBodies, BigBody: 20 << 20}
	if *short {
		*duration, *rounds = time.Second, 1
		hostile.SlowBodies, hostile.BadCallers, hostile.Flood, hostile.BigBodies = min(*slowBodies, 20), 8, min(*flood, 32), min(*bigBodies, 2)
	}
	*rounds = max(*rounds, 1)
	*duration = min(*duration, 2*time.Minute)
	// An interrupt ends the run through its deferred stops, so the
	// PostgreSQL schema is dropped; a second one kills as ever.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)

	dir, err := os.MkdirTemp("", "plugin-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fakeLn, fakeURL, err := listen()
	if err != nil {
		return err
	}
	// The fake counts what it receives, for LinkedIn calls per answer.
	var linkedInCalls atomic.Int64
	emulator := sandbox.New(sandbox.Options{BaseURL: fakeURL, Record: 1})
	fake := serveOn(fakeLn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		linkedInCalls.Add(1)
		emulator.ServeHTTP(w, r)
	}))
	defer fake.Close()
	spec, err := newServerSpec(ctx, dir, fakeURL, *cpuProfile)
	if err != nil {
		return err
	}
	servers, err := spec.startServers(ctx, filepath.Join(dir, "bench.db"), nil, "server")
	if err != nil {
		return err
	}
	server := servers[0]
	defer server.stop()
	var replicas []*serverProc
	if *postgres != "" {
		var stopReplicas func()
		if replicas, stopReplicas, err = startPostgres(ctx, spec, *postgres); err != nil {
			return err
		}
		defer stopReplicas()
	}
	// The control case's hostile workspace has a server process of its
	// own on this machine, as if it had been moved to a replica of its own;
	// it is started only when -run keeps the control.
	var apart []*serverProc
	if strings.Contains(caseQuietBeside+caseControl, *only) {
		if apart, err = spec.startServers(ctx, filepath.Join(dir, "apart.db"), nil, "server apart"); err != nil {
			return err
		}
		defer apart[0].stop()
	}
	reference, err := spawnReference(fakeURL)
	if err != nil {
		return err
	}
	defer reference.stop()
	token, err := fakeToken(fakeURL)
	if err != nil {
		return err
	}

	var seq atomic.Int64
	// Every post's text is new: LinkedIn refuses a duplicate.
	postText := func() string { return fmt.Sprintf("bench %d", seq.Add(1)) }
	referenceUserInfo := func(int) *http.Request {
		r, _ := http.NewRequest("GET", reference.url+"/v2/userinfo", nil)
		return r
	}
	referencePostOf := func(text string) *http.Request {
		r, _ := http.NewRequest("POST", reference.url+"/v2/ugcPosts", strings.NewReader(fmt.Sprintf(`{"author":"urn:li:person:782bbtaQ","lifecycleState":"PUBLISHED","specificContent":{"com.linkedin.ugc.ShareContent":{"shareCommentary":{"text":%q},"shareMediaCategory":"NONE"}},"visibility":{"com.linkedin.ugc.MemberNetworkVisibility":"PUBLIC"}}`, text)))
		r.Header.Set("X-Restli-Protocol-Version", "2.0.0")
		return r
	}
	referencePost := func(int) *http.Request { return referencePostOf(postText()) }
	quiet := server.quiet
	serverUserInfo := getUserInfoOn(server)
	// The same reads on a datasource that keeps answers a minute.
	cached := quiet
	if cached.datasource, err = server.authorizeWith(quiet, `{"readCacheSeconds":60}`); err != nil {
		return err
	}
	serverCachedUserInfo := func(int) *http.Request {
		return server.execute(cached, `{"command":"getUserInfo","params":{}}`)
	}
	serverPostOf := func(text string) *http.Request {
		return server.execute(quiet, fmt.Sprintf(`{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":%q,"visibility":"PUBLIC"}}`, text))
	}
	serverPost := func(int) *http.Request { return serverPostOf(postText()) }
	harness := &process{name: "harness", pids: []int{os.Getpid()}}
	quietCase := func(hostileKind string) benchCase {
		c := benchCase{name: caseQuietAlone, req: serverUserInfo, measured: server.process, rate: *paced, group: groupWorkspaces, serverLog: server.log}
		if hostileKind != "" {
			c.name = caseQuietBeside + hostileKind
			c.hostile = &hostileSpec{Kind: hostileKind, ServerURL: server.url, Datasource: server.hostile.datasource, Key: server.hostile.builderKey, FakeURL: fakeURL, Sizes: hostile}
		}
		return c
	}
	cases := []benchCase{
		{name: "direct getUserInfo (the floor)", measured: harness, req: func(int) *http.Request {
			r, _ := http.NewRequest("GET", fakeURL+"/v2/userinfo", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			return r
		}},
		{name: "reference proxy getUserInfo", req: referenceUserInfo, measured: reference.process},
		{name: "server getUserInfo", req: serverUserInfo, measured: server.process},
		{name: "reference proxy createPost", req: referencePost, measured: reference.process},
		{name: "server createPost", req: serverPost, measured: server.process},
		{name: "reference proxy getUserInfo, paced", req: referenceUserInfo, measured: reference.process, rate: *paced},
		{name: "server getUserInfo, paced", req: serverUserInfo, measured: server.process, rate: *paced},
		{name: "reference proxy createPost, paced", req: referencePost, measured: reference.process, rate: *paced},
		{name: "server createPost, paced", req: serverPost, measured: server.process, rate: *paced},
		{name: "reference proxy getUserInfo, 1,000 callers", req: referenceUserInfo, measured: reference.process, concurrency: 1000, group: groupThousand},
		{name: caseViewers, req: serverUserInfo, measured: server.process, concurrency: 1000, group: groupThousand},
		{name: "reference proxy createPost, 1,000 callers", req: referencePost, measured: reference.process, concurrency: 1000, group: groupThousand},
		{name: "server createPost, 1,000 callers", req: serverPost, measured: server.process, concurrency: 1000, group: groupThousand},
		{name: caseViewers + ", read cache", req: serverCachedUserInfo, measured: server.process, concurrency: 1000, group: groupThousand},
		quietCase(""),
		quietCase("slow bodies"),
		quietCase("bad input"),
		quietCase("a flood"),
	}
	if *wrk != "" {
		// The issue's own measurements, with the client they were made
		// with: wrk's callers never hang up mid-call, and its C costs the
		// shared machine less than the harness's own callers do.
		for _, group := range []int{groupCallers, groupThousand} {
			n, suffix := *concurrency, ", by wrk"
			if group == groupThousand {
				n, suffix = 1000, ", 1,000 callers, by wrk"
			}
			cases = append(cases,
				benchCase{name: "reference proxy getUserInfo" + suffix, wrk: viaWrk(*wrk, referenceUserInfo(0)), measured: reference.process, concurrency: n, group: group},
				benchCase{name: "server getUserInfo" + suffix, wrk: viaWrk(*wrk, serverUserInfo(0)), measured: server.process, concurrency: n, group: group},
				benchCase{name: "reference proxy createPost" + suffix, wrk: viaWrk(*wrk, referencePostOf("bench "+wrkSeq)), measured: reference.process, concurrency: n, group: group},
				benchCase{name: "server createPost" + suffix, wrk: viaWrk(*wrk, serverPostOf("bench "+wrkSeq)), measured: server.process, concurrency: n, group: group})
		}
	}
	if apart != nil {
		// The control: the same bad input, served by the other process.
		// What the quiet workspace loses then is what sharing the machine
		// costs it, none of the hostile work being its server's.
		control := quietCase("bad input")
		control.name = caseQuietBeside + caseControl
		control.hostile.ServerURL, control.hostile.Datasource = apart[0].url, apart[0].hostile.datasource
		cases = append(cases, control)
	}
	// Every case counts the calls LinkedIn received, for calls per answer.
	for i := range cases {
		cases[i].upstream = &linkedInCalls
	}
	if replicas != nil {
		// Beside "server getUserInfo", which the report divides them by.
		at := slices.IndexFunc(cases, func(c benchCase) bool { return c.name == "server getUserInfo" }) + 1
		cases = slices.Insert(cases, at, postgresCases(replicas)...)
	}
	cases = slices.DeleteFunc(cases, func(c benchCase) bool { return !strings.Contains(c.name, *only) })
	results := make([]result, len(cases))
	for _, group := range []int{groupCallers, groupThousand, groupWorkspaces} {
		for range *rounds {
			for i, c := range cases {
				if c.group != group {
					continue
				}
				c.concurrency = cmp.Or(c.concurrency, *concurrency)
				// No case pays for the garbage of the one before: the
				// harness (callers and fake LinkedIn) shares the machine
				// with the process measured.
				runtime.GC()
				r, err := load(ctx, c, *duration/time.Duration(*rounds), *hangups)
				if err != nil {
					return err
				}
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				results[i].add(r)
			}
		}
	}
	for _, r := range results {
		slices.Sort(r.latencies)
	}
	// The last lines of the servers' logs arrive after the load stops.
	servers = append(append(servers, replicas...), apart...)
	for _, s := range servers {
		s.log.settle()
	}
	setup := setupLine(server.log, *hangups, hostile)
	if replicas != nil {
		setup += "\n\n" + postgresLine(*postgres, replicas)
	}
	table := render(results, *duration, *rounds, setup)
	fmt.Fprint(out, table)
	var failed []string
	for _, r := range results {
		// The reference proxy's failures are its own (it does not resend a
		// POST whose idle connection LinkedIn closed, as the server does):
		// the table shows them; only the server's fail the run.
		if r.failures > 0 && r.process != "reference" {
			failed = append(failed, fmt.Sprintf("%s: %d of %d requests failed (%s)", r.name, r.failures, r.requests, r.failedBy))
		}
	}
	for _, name := range silent(servers, cases, results) {
		failed = append(failed, name+" logged no request lines")
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

// startPostgres starts two replicas sharing a schema of their own in the
// -postgres database. Their stop stops them, then drops the schema, best
// effort: one it cannot drop is named on stderr.
func startPostgres(ctx context.Context, spec *serverSpec, dsn string) (replicas []*serverProc, stop func(), err error) {
	schema, err := createSchema(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	drop := func() {
		if err := schema.drop(); err != nil {
			fmt.Fprintf(os.Stderr, "plugin-bench: schema %s is left in the database: %v\n", schema.name, err)
		}
	}
	if replicas, err = spec.startServers(ctx, schema.serverDB(), replicaSettings(), "replica 1", "replica 2"); err != nil {
		drop()
		return nil, nil, err
	}
	return replicas, func() {
		for _, r := range replicas {
			r.stop()
		}
		drop()
	}, nil
}

// postgresCases are "server getUserInfo" on the PostgreSQL replicas: with
// the callers split between both, and with all on the first while the
// other idles, which tells what the store costs from what a second
// process on the same machine does.
func postgresCases(replicas []*serverProc) []benchCase {
	return []benchCase{
		{name: casePostgres2, req: getUserInfoOn(replicas...), measured: together("replicas 1+2: CPU summed, larger peak RSS", replicas...)},
		{name: casePostgres1, req: getUserInfoOn(replicas[0]), measured: replicas[0].process},
	}
}

// silent names the server processes that served a case yet logged no
// request lines: logging is part of what is measured, and a server that
// logged nothing was not measured as users run it.
func silent(servers []*serverProc, cases []benchCase, results []result) []string {
	var names []string
	for _, s := range servers {
		served := false
		for i, c := range cases {
			served = served || results[i].requests > 0 && slices.Contains(c.measured.pids, s.pids[0])
		}
		if served && s.log.requestLines.Load() == 0 {
			names = append(names, s.name)
		}
	}
	return names
}
