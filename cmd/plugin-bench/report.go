package main

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// setupLine says what the server ran with, for the report.
func setupLine(log *logDrain, hangups float64, h hostileSizes) string {
	s := fmt.Sprintf("The server is cmd/plugin-server as built, with its defaults (circuit, rate limit, workers, body and memory limits) for everything but its address, database, API keys and LinkedIn's URLs. "+
		"Logging is on as by default: JSON lines at info, one per request, to a pipe the harness drains (%s). "+
		"Callers hang up on %.0f%% of requests at a random moment after sending, closing the connection; hang-ups are counted apart, not as failures. "+
		"The quiet workspace asks its rate with the paced callers; beside it, the hostile workspace, from a process of its own at the lowest CPU priority, holds %d slow bodies (a byte every %s), or sends bad input from %d callers, or floods with %d getUserInfo callers and %d callers of %d MiB JSON bodies.",
		logCounts(log), hangups*100, h.SlowBodies, h.SlowEvery, h.BadCallers, h.Flood, h.BigBodies, h.BigBody>>20)
	return s + notable("The server", log)
}

// postgresLine says how the PostgreSQL cases ran, for the report.
func postgresLine(dsn string, replicas []*serverProc) string {
	var logs []string
	for _, r := range replicas {
		logs = append(logs, fmt.Sprintf("%s: %s", r.name, logCounts(r.log)))
	}
	s := fmt.Sprintf("The PostgreSQL cases run the same server, started the same way, as two replicas sharing a schema of their own in %s, dropped after "+
		"(PLUGIN_SERVER_DB with that search_path, one PLUGIN_SERVER_SECRET_KEY, PLUGIN_SERVER_DB_MAX_CONNS at its default); the datasources were created and authorized once, through %s. "+
		"With 2 replicas the callers alternate between them, and the row measures both processes: their CPU summed, and the larger of their peak RSS. "+
		"With 1 replica every caller asks %s while the other idles. Their logs: %s.",
		shownDSN(dsn), replicas[0].name, replicas[0].name, strings.Join(logs, "; "))
	for _, r := range replicas {
		s += notable(strings.ToUpper(r.name[:1])+r.name[1:], r.log)
	}
	return s
}

// logCounts is how much a server logged.
func logCounts(log *logDrain) string {
	drops := "none dropped"
	if n := log.dropped.Load(); n > 0 {
		drops = fmt.Sprintf("%d dropped by the server", n)
	}
	return fmt.Sprintf("%d lines, %.1f MiB, %d of them request lines; %s", log.lines.Load(), float64(log.bytes.Load())/(1<<20), log.requestLines.Load(), drops)
}

// notable is the lines at warn or above that who logged, if any.
func notable(who string, log *logDrain) string {
	n, first := log.notableLines()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("\n\n%s logged %d lines at warn or above, the first:\n\n```\n%s\n```", who, n, first)
}

// p99Added is what the server's p99 adds to the reference's, round by
// round, and the median of those.
func p99Added(server, reference result) (perRound []time.Duration, median time.Duration) {
	for i := range min(len(server.roundP99s), len(reference.roundP99s)) {
		perRound = append(perRound, (server.roundP99s[i] - reference.roundP99s[i]).Round(10*time.Microsecond))
	}
	return perRound, medianOf(perRound)
}

// medianOf is the middle of xs, or the mean of its middle two; 0 for none.
func medianOf[T time.Duration | float64](xs []T) T {
	sorted := slices.Sorted(slices.Values(xs))
	n := len(sorted)
	if n == 0 {
		return 0
	}
	return (sorted[(n-1)/2] + sorted[n/2]) / 2
}

// p99Ratio is the quiet workspace's p99 beside a hostile case as a
// multiple of its p99 alone, round by round (a round's cases run minutes
// apart at most, where a full run's first and last are many minutes
// apart), and the median of those: one stall of the shared machine in
// one round, landing in either case, moves that round's ratio alone.
func p99Ratio(beside, alone result) (perRound []float64, median float64) {
	for i := range min(len(beside.roundP99s), len(alone.roundP99s)) {
		perRound = append(perRound, float64(beside.roundP99s[i])/float64(max(alone.roundP99s[i], 1)))
	}
	return perRound, medianOf(perRound)
}

func render(rs []result, d time.Duration, rounds int, setup string) string {
	var b bytes.Buffer
	inRounds := fmt.Sprintf("in %d rounds the cases take turns in", rounds)
	if rounds == 1 {
		inRounds = "in one round"
	}
	fmt.Fprintf(&b, "%s\n\n%s per case, %s; all on 127.0.0.1\n\n", setup, d, inRounds)
	fmt.Fprintf(&b, "| case | callers | requests/s | p50 | p99 | p99.9 | CPU s / 1000 req | peak RSS | LinkedIn calls / answer | measured | hang-ups | failures |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		rss := fmt.Sprintf("%.0f MiB", float64(r.peakRSS)/(1<<20))
		if !r.rssReset {
			rss += " (so far)"
		}
		callers := strconv.Itoa(r.concurrency)
		if r.pacedAt > 0 {
			callers += fmt.Sprintf(", asking %.0f/s", r.pacedAt)
		}
		// Beside a hostile workspace the server's CPU is mostly the
		// hostile one's, so per quiet request it would mislead; how many
		// cores the server kept busy says whether it had any to spare.
		cpu := fmt.Sprintf("%.3f", r.cpuPer1000())
		if r.hostile != nil {
			cpu = fmt.Sprintf("all: %.2f cores", r.cpu/r.wall)
		}
		failures := strconv.FormatInt(r.failures, 10)
		if r.failures > 0 {
			failures += ": " + r.failedBy.String()
		}
		calls := "n/a"
		if c := r.callsPerAnswer(); c >= 0 {
			calls = fmt.Sprintf("%.3f", c)
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", r.name, callers, r.rate(),
			r.pct(0.5).Round(10*time.Microsecond), r.pct(0.99).Round(10*time.Microsecond), r.pct(0.999).Round(10*time.Microsecond), cpu, rss, calls, r.process, r.hangups, failures)
	}
	byName := map[string]result{}
	for _, r := range rs {
		byName[r.name] = r
	}
	b.WriteString("\n")
	for _, t := range []struct {
		command  string
		ratio    float64
		p99Under time.Duration
	}{{"getUserInfo", 0.9, 2 * time.Millisecond}, {"createPost", 0.9, 2 * time.Millisecond}} {
		var said []string
		if server, ref, ok := pair(byName, t.command); ok {
			perRound, median := p99Added(server, ref)
			said = append(said, fmt.Sprintf("throughput %.2f of the reference proxy's (target ≥ %.1f), p99 added %s (by round %s)",
				server.rate()/ref.rate(), t.ratio, median.Round(10*time.Microsecond), roundList(perRound)))
		}
		if server, ref, ok := pair(byName, t.command+", paced"); ok {
			perRound, median := p99Added(server, ref)
			said = append(said, fmt.Sprintf("paced, p50 added %s and p99 added %s (target < %s; by round %s)",
				(server.pct(0.5)-ref.pct(0.5)).Round(10*time.Microsecond), median.Round(10*time.Microsecond), t.p99Under, roundList(perRound)))
		}
		if said != nil {
			fmt.Fprintf(&b, "\n%s: %s", t.command, strings.Join(said, "; "))
		}
	}
	if said := postgresRatios(byName); said != "" {
		fmt.Fprintf(&b, "\nPostgreSQL: %s", said)
	}
	for _, command := range []string{"getUserInfo", "createPost"} {
		if server, ref, ok := pair(byName, command+", 1,000 callers"); ok {
			fmt.Fprintf(&b, "\n%s, 1,000 callers: throughput %.2f of the reference proxy's (target ≥ 0.9); the server's peak RSS %.0f MiB against the reference proxy's %.0f MiB (target: no larger)",
				command, server.rate()/ref.rate(), float64(server.peakRSS)/(1<<20), float64(ref.peakRSS)/(1<<20))
		}
	}
	b.WriteString(wrkTable(byName))
	if viewers, ok := byName[caseViewers]; ok && viewers.callsPerAnswer() >= 0 {
		said := fmt.Sprintf("LinkedIn calls per answer %.3f with identical reads shared", viewers.callsPerAnswer())
		if cached, ok := byName[caseViewers+", read cache"]; ok {
			said += fmt.Sprintf(", %.4f with a read cache of a minute", cached.callsPerAnswer())
		}
		fmt.Fprintf(&b, "\n1,000 viewers of one page: %s (the reference proxy: one call per answer)", said)
	}
	if alone, ok := byName[caseQuietAlone]; ok {
		for _, r := range rs {
			beside, ok := strings.CutPrefix(r.name, caseQuietBeside)
			if !ok {
				continue
			}
			perRound, median := p99Ratio(r, alone)
			byRound := make([]string, len(perRound))
			for i, x := range perRound {
				byRound[i] = fmt.Sprintf("%.1f×", x)
			}
			p99 := fmt.Sprintf("p99 %.1f× its p99 alone, the median of the rounds' (by round %s; all rounds together %s against %s)",
				median, strings.Join(byRound, ", "), r.pct(0.99).Round(10*time.Microsecond), alone.pct(0.99).Round(10*time.Microsecond))
			if beside == caseControl {
				fmt.Fprintf(&b, "\nquiet workspace beside %s (a control, no target: what sharing this machine with that work costs the quiet workspace when none of it is its server's): %s; the machine %.0f%% busy; the hostile workspace got %s",
					beside, p99, r.busy*100, cmp.Or(r.hostile.String(), "nothing"))
				continue
			}
			fmt.Fprintf(&b, "\nquiet workspace beside %s: throughput %.2f of its own alone (target ≥ 0.90), %s (target ≤ 2×); the server's peak RSS %.0f MiB; the machine %.0f%% busy (%.0f%% alone); the hostile workspace got %s",
				beside, r.rate()/alone.rate(), p99, float64(r.peakRSS)/(1<<20),
				r.busy*100, alone.busy*100, cmp.Or(r.hostile.String(), "nothing"))
			if len(r.inServer) > 0 && len(alone.inServer) > 0 {
				// Inside the server is what its turns decide; the rest of a
				// quiet caller's wait is the shared machine's and the fake
				// LinkedIn's, which the hostile load also keeps busy.
				in, inAlone := loggedP99(r.inServer), loggedP99(alone.inServer)
				fmt.Fprintf(&b, "; inside the server (as it logged them) the quiet executes' p99 was %s against %s alone, %.1f×, of which waiting for a worker and a turn %s against %s, and on the fake LinkedIn %s against %s",
					in.took.Round(10*time.Microsecond), inAlone.took.Round(10*time.Microsecond), float64(in.took)/float64(max(inAlone.took, 1)),
					in.queued.Round(10*time.Microsecond), inAlone.queued.Round(10*time.Microsecond), in.linkedIn.Round(10*time.Microsecond), inAlone.linkedIn.Round(10*time.Microsecond))
			}
			if r.cpu > 0 && alone.cpu > 0 && alone.runnable > 0 {
				fmt.Fprintf(&b, "; the server's threads waited %.2f s for a CPU per CPU-second they ran (%.2f s alone)", r.runnable/r.cpu, alone.runnable/alone.cpu)
			}
		}
	}
	b.WriteString("\n")
	return b.String()
}

// loggedP99 is the p99 of each part of the executes, taken apart: the
// slowest executes need not be the ones that queued longest.
func loggedP99(executes []loggedExecute) loggedExecute {
	p99 := func(part func(loggedExecute) time.Duration) time.Duration {
		ds := make([]time.Duration, len(executes))
		for i, e := range executes {
			ds[i] = part(e)
		}
		slices.Sort(ds)
		return ds[len(ds)*99/100]
	}
	return loggedExecute{took: p99(func(e loggedExecute) time.Duration { return e.took }),
		queued:   p99(func(e loggedExecute) time.Duration { return e.queued }),
		linkedIn: p99(func(e loggedExecute) time.Duration { return e.linkedIn })}
}

// postgresRatios is getUserInfo's throughput on the PostgreSQL replicas as
// a share of its own on SQLite in the same run, "" without them.
func postgresRatios(byName map[string]result) string {
	sqlite, ok := byName["server getUserInfo"]
	if !ok {
		return ""
	}
	var said []string
	if r, ok := byName[casePostgres2]; ok {
		said = append(said, fmt.Sprintf("getUserInfo with 2 replicas at %.2f of its SQLite throughput (target ≥ 0.9)", r.rate()/sqlite.rate()))
	}
	if r, ok := byName[casePostgres1]; ok {
		if said == nil {
			said = append(said, fmt.Sprintf("getUserInfo with 1 replica at %.2f of its SQLite throughput", r.rate()/sqlite.rate()))
		} else {
			said = append(said, fmt.Sprintf("1 replica at %.2f", r.rate()/sqlite.rate()))
		}
	}
	return strings.Join(said, "; ")
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
Everything shares the machine. The plugin server (cmd/plugin-server, built by the
harness and started as users start it) and the reference proxy (a bare
httputil.ReverseProxy to the same fake LinkedIn) each run in a process of their own,
and their rows measure that process's CPU and peak RSS; the direct row measures the
harness process (load generator and fake LinkedIn). With -postgres, the row of two
server replicas sharing PostgreSQL measures both: their CPU summed, the larger peak RSS. Cases with as many callers take
turns in rounds, so a change in the machine's other load touches each alike. Peak
RSS is reset before each round where the kernel allows; "(so far)" marks a peak up
to that case. Paced callers' latency counts from when each request was due. "p99
added" is the median, over rounds, of the server's p99 less the reference's in the
same round; each round's difference is listed after it. Hang-ups are requests the
caller cancelled mid-call on purpose: they are in neither requests/s, latency nor
failures. Failures are listed by status and error code.

The two-workspace cases put a second workspace beside the one measured: the quiet
workspace asks getUserInfo at the paced rate, alone, then beside the hostile
workspace's slow bodies, bad input or flood. Its p99 beside each is taken as a
multiple of its p99 alone in the same round, and the median of those reported,
each round's listed. It asks a rate the server can keep up with, and the hostile
load runs in a process of its own at the lowest CPU priority, standing in for a
client on a machine of its own, so what the quiet workspace loses is what the server lets the hostile one take from it, not CPU the load generator
needs. Beside a hostile workspace the CPU column gives the cores the server used in
all. The hostile workspace's outcomes are listed after the table and never count as
failures. A control case sends the same bad input to a second server process
(another SQLite file, the same settings) on this machine, as if the hostile
workspace had a replica of its own: the quiet workspace's p99 there is what
sharing the machine with that work costs it, apart from how its own server
schedules it.

The cases marked "by wrk" send the same requests with wrk, the client the
issue's first figures came from, instead of the harness's callers: as many
threads as cores, each connection sending its next request when the last is
answered, each round's share of the time rounded to a whole second (wrk's
unit; its rate is from its own duration). wrk hangs up only when it stops, on
the calls then in flight, which it counts nowhere; its latencies count from
when each request was sent, with the samples wrk adds for requests a slow
answer held back (its correction for coordinated omission); past 1,000
distinct latencies wrk reports 1,090 quantiles of them (every 0.1%% to 99%%,
then every 0.01%%): reading every one took wrk 20 to 30 s of a core. Being C, it
leaves more of the shared machine to the process measured than the harness's
callers do, so the server's CPU per request weighs more in its ratios. The table after the summary is the issue's, from those cases.

%s`, model, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"), table)
}

// wrkTable is the table again, from the cases wrk drove: the
// server's throughput as a share of the reference proxy's, each one's p50
// and the larger of each one's peak RSS over both commands; "" without
// them.
func wrkTable(byName map[string]result) string {
	var b strings.Builder
	for _, callers := range []string{"", ", 1,000 callers"} {
		users, usersRef, ok1 := pair(byName, "getUserInfo"+callers+", by wrk")
		posts, postsRef, ok2 := pair(byName, "createPost"+callers+", by wrk")
		if !ok1 || !ok2 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\n\nDriven by wrk instead, the issue's table (throughput as a share of the reference proxy's, target ≥ 0.9; peak RSS, target: the server's no larger):\n\n" +
				"| callers | getUserInfo / proxy | createPost / proxy | getUserInfo p50, server / proxy | createPost p50, server / proxy | peak RSS, server / proxy |\n|---|---|---|---|---|---|\n")
		}
		p50 := func(r result) time.Duration { return r.pct(0.5).Round(10 * time.Microsecond) }
		mib := func(a, b result) float64 { return float64(max(a.peakRSS, b.peakRSS)) / (1 << 20) }
		fmt.Fprintf(&b, "| %d | %.2f | %.2f | %s / %s | %s / %s | %.0f / %.0f MiB |\n", users.concurrency,
			users.rate()/usersRef.rate(), posts.rate()/postsRef.rate(), p50(users), p50(usersRef), p50(posts), p50(postsRef),
			mib(users, posts), mib(usersRef, postsRef))
	}
	return b.String()
}
