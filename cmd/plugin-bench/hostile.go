package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// hostileSizes is how hard the hostile workspace misbehaves. Each of its
// loads is bounded in connections and stops with its case.
type hostileSizes struct {
	// SlowBodies connections at once each send an execute body one byte
	// every SlowEvery.
	SlowBodies int
	SlowEvery  time.Duration
	// BadCallers send bad input as fast as they can.
	BadCallers int
	// Flood callers send getUserInfo as fast as they can, while BigBodies
	// callers send JSON bodies of BigBody bytes.
	Flood, BigBodies int
	BigBody          int64
}

// hostileSpec is one misbehaviour of the hostile workspace, as the process
// that runs it is told.
type hostileSpec struct {
	Kind       string // "slow bodies", "bad input" or "a flood"
	ServerURL  string
	Datasource string
	Key        string // the hostile workspace's builder key
	FakeURL    string
	Sizes      hostileSizes
}

// Names of the two-workspace cases; the report pairs each with the first.
const (
	caseQuietAlone  = "quiet getUserInfo, alone"
	caseQuietBeside = "quiet getUserInfo, beside "
	// caseControl is bad input sent to a server process of the hostile
	// workspace's own (see main).
	caseControl = "bad input served by another process"
)

// hostileLoad misbehaves until ctx is done, tallying what it got, and
// returns once every connection of its own is closed.
type hostileLoad func(ctx context.Context, t *tally)

func (h hostileSpec) load() (hostileLoad, error) {
	switch h.Kind {
	case "slow bodies":
		return h.slowBodies(), nil
	case "bad input":
		return h.badInput(), nil
	case "a flood":
		return h.flood(), nil
	}
	return nil, fmt.Errorf("no hostile load %q", h.Kind)
}

// execute is a JSON execute of the hostile workspace.
func (h hostileSpec) execute(body string) *http.Request {
	r, _ := http.NewRequest("POST", h.ServerURL+"/v1/datasources/"+h.Datasource+"/execute", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+h.Key)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// serveHostile is the hostile workspace's process: it misbehaves until its
// parent closes stdin (or dies), then prints what it got as JSON. It runs
// at the lowest CPU priority, standing in for a client on a machine of its
// own: the CPU it takes to misbehave would otherwise come out of the
// server's and the quiet callers' on a small machine, and the case would
// measure the machine rather than the server.
func serveHostile(spec string, out io.Writer) error {
	var h hostileSpec
	if err := json.Unmarshal([]byte(spec), &h); err != nil {
		return err
	}
	load, err := h.load()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	t := newTally()
	fmt.Fprintln(out, "ready")
	load(ctx, t)
	return json.NewEncoder(out).Encode(t.m)
}

// hostileProc is a running hostile process.
type hostileProc struct{ *child }

// startHostile starts the process of spec, niced where nice(1) is found,
// and waits until it runs.
func startHostile(spec hostileSpec) (*hostileProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(spec)
	args := []string{self, "-hostile-for", string(raw)}
	if nice, err := exec.LookPath("nice"); err == nil {
		args = append([]string{nice, "-n", "19"}, args...)
	}
	c, line, err := startChild(args...)
	if err == nil && line != "ready" {
		c.stdin.Close()
		c.cmd.Wait()
		err = fmt.Errorf("it said %q", line)
	}
	if err != nil {
		return nil, fmt.Errorf("the hostile process did not start: %w", err)
	}
	return &hostileProc{c}, nil
}

// stop ends the process and adds what it got to t.
func (p *hostileProc) stop(t *tally) error {
	p.stdin.Close()
	var got map[string]int64
	err := json.NewDecoder(p.stdout).Decode(&got)
	if werr := p.cmd.Wait(); err == nil {
		err = werr
	}
	for k, n := range got {
		t.m[k] += n
	}
	return err
}

// slowBodies holds SlowBodies connections open, each sending a JSON
// execute body a byte at a time, as a slow or malicious client does; the
// body is long enough never to end within a case. A connection the server
// cuts off or answers is opened again after a pause.
func (h hostileSpec) slowBodies() hostileLoad {
	u, _ := url.Parse(h.ServerURL)
	body := `{"command":"getUserInfo","params":{}` + strings.Repeat(" ", 4<<10) + "}"
	head := fmt.Sprintf("POST /v1/datasources/%s/execute HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		h.Datasource, u.Host, h.Key, len(body))
	return func(ctx context.Context, t *tally) {
		var wg sync.WaitGroup
		for i := range h.Sizes.SlowBodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Spread over a byte's interval, so the bytes do not
				// arrive in lockstep.
				pause(ctx, h.Sizes.SlowEvery*time.Duration(i)/time.Duration(h.Sizes.SlowBodies))
				for ctx.Err() == nil {
					t.add(slowBody(ctx, u.Host, head, body, h.Sizes.SlowEvery))
					pause(ctx, h.Sizes.SlowEvery)
				}
			}()
		}
		wg.Wait()
	}
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// slowBody sends one slow body and says how it ended.
func slowBody(ctx context.Context, host, head, body string, every time.Duration) string {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		if ctx.Err() != nil {
			return ""
		}
		return "slow body: could not connect"
	}
	defer conn.Close()
	started := time.Now()
	answered := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- ""
			return
		}
		resp.Body.Close()
		answered <- fmt.Sprintf("slow body: answered %d", resp.StatusCode)
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		return "slow body: cut off"
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return "slow body: still open at the end"
		case what := <-answered:
			if what == "" {
				what = "slow body: cut off"
			}
			return what + " after " + roughly(time.Since(started))
		case <-tick.C:
			if i >= len(body) {
				continue // sent whole; the answer is awaited
			}
			if _, err := io.WriteString(conn, body[i:i+1]); err != nil {
				return "slow body: cut off after " + roughly(time.Since(started))
			}
		}
	}
}

// roughly is a duration in the coarse steps a report can group by.
func roughly(d time.Duration) string {
	switch {
	case d < time.Second:
		return "<1s"
	case d < 10*time.Second:
		return fmt.Sprintf("~%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("~%ds", int(d.Seconds())/10*10)
}

// badInput sends, as fast as BadCallers can, the bad input a builder's
// mistakes or a hostile one produce: params that fail validation, JSON
// cut short, and a data: URL whose media type carries CR-LF. Every one of
// them should be a 4xx of the hostile workspace's own.
func (h hostileSpec) badInput() hostileLoad {
	bodies := []struct{ name, body string }{
		{"invalid params", `{"command":"createPost","params":{"author":"nobody","text":"","visibility":"EVERYONE"}}`},
		{"malformed JSON", `{"command":"createPost","params":{"author":`},
		{"data: URL with CR-LF", `{"command":"uploadMedia","params":{"uploadUrl":"` + h.FakeURL + `/mediaUpload/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0","data":"data:image/png\r\nX-Injected: 1;base64,iVBORw0KGgo="}}`},
	}
	return func(ctx context.Context, t *tally) {
		client := &http.Client{Transport: transport(), Timeout: callTimeout}
		defer client.CloseIdleConnections()
		var wg sync.WaitGroup
		for i := range h.Sizes.BadCallers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := i; ctx.Err() == nil; n++ {
					b := bodies[n%len(bodies)]
					t.add(hostileCall(ctx, client, h.execute(b.body), b.name))
				}
			}()
		}
		wg.Wait()
	}
}

// flood sends getUserInfo from Flood callers as fast as they can,
// while BigBodies callers send JSON execute bodies of BigBody bytes, far
// over the JSON limit, made as they are sent.
func (h hostileSpec) flood() hostileLoad {
	bigName := fmt.Sprintf("%d MiB body", h.Sizes.BigBody>>20)
	prefix, suffix := `{"command":"createPost","params":{"author":"person:782bbtaQ","visibility":"PUBLIC","text":"`, `"}}`
	return func(ctx context.Context, t *tally) {
		client := &http.Client{Transport: transport(), Timeout: callTimeout}
		defer client.CloseIdleConnections()
		var wg sync.WaitGroup
		for i := range h.Sizes.Flood + h.Sizes.BigBodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					if i >= h.Sizes.Flood {
						r := h.execute("")
						r.Body = io.NopCloser(io.MultiReader(strings.NewReader(prefix), &filler{n: h.Sizes.BigBody}, strings.NewReader(suffix)))
						r.ContentLength = int64(len(prefix)) + h.Sizes.BigBody + int64(len(suffix))
						r.GetBody = nil
						t.add(hostileCall(ctx, client, r, bigName))
						continue
					}
					t.add(hostileCall(ctx, client, h.execute(`{"command":"getUserInfo","params":{}}`), "getUserInfo"))
				}
			}()
		}
		wg.Wait()
	}
}

// hostileCall sends one hostile request and names its outcome, or nothing
// when the case ended under it.
func hostileCall(ctx context.Context, client *http.Client, r *http.Request, what string) string {
	var c caller
	ok, _, got := c.do(client, r.WithContext(ctx), false)
	switch {
	case ctx.Err() != nil:
		return ""
	case ok:
		return what + ": 2xx"
	}
	return what + ": " + got
}

// filler reads as n bytes of text without holding them.
type filler struct{ n int64 }

var fill = []byte(strings.Repeat("a", 32<<10))

func (f *filler) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(int64(len(p)), f.n)], fill)
	f.n -= int64(k)
	return k, nil
}
