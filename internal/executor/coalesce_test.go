package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/internal/workers"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// gate is a LinkedIn whose GETs wait until it is opened; it counts calls
// by method and keeps whether a call's context ended.
type gate struct {
	mu        sync.Mutex
	open      chan struct{}
	calls     map[string]int
	cancelled int
	body      string
	status    int
}

func newGate() *gate {
	return &gate{open: make(chan struct{}), calls: map[string]int{}, body: `{"sub":"782bbtaQ"}`, status: 200}
}

func (g *gate) Do(ctx context.Context, c *plugin.Call, _ string) (*plugin.Response, error) {
	g.mu.Lock()
	g.calls[c.Method]++
	n, body, status := g.calls[c.Method], g.body, g.status
	g.mu.Unlock()
	if c.Method == "GET" {
		select {
		case <-g.open:
		case <-ctx.Done():
			g.mu.Lock()
			g.cancelled++
			g.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	if c.Method != "GET" && status >= 300 {
		return &plugin.Response{Status: status, Header: hdr("Content-Type", "application/json"), Body: []byte(`{"status":422,"code":"DUPLICATE_POST"}`), Call: c}, nil
	}
	if c.Method != "GET" {
		return &plugin.Response{Status: 201, Header: hdr("X-RestLi-Id", fmt.Sprintf("urn:li:share:%d", n)), Call: c}, nil
	}
	return &plugin.Response{Status: status, Header: hdr("Content-Type", "application/json", "X-Li-Uuid", fmt.Sprint("li-", n)), Body: []byte(body), Call: c}, nil
}

func (g *gate) count(method string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[method]
}

func hdr(kv ...string) map[string][]string {
	h := map[string][]string{}
	for i := 0; i < len(kv); i += 2 {
		h[kv[i]] = []string{kv[i+1]}
	}
	return h
}

type okTokens struct{}

func (okTokens) AccessToken(context.Context, *ps.Datasource) (ps.Access, error) {
	return ps.Access{Token: "AQV-token"}, nil
}

func (okTokens) Rejected(context.Context, *ps.Datasource, ps.Access, string) (ps.Access, error) {
	return ps.Access{}, plugin.Errorf(plugin.AuthorizationRequired, "refused")
}

func testExecutor(t *testing.T, sender Sender) *Executor {
	t.Helper()
	cat, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	api, _ := url.Parse("https://api.linkedin.com")
	return &Executor{Catalog: cat, Tokens: okTokens{}, Sender: sender, CallTimeout: 10 * time.Second,
		Settings: func(*ps.Datasource) plugin.Settings { return plugin.Settings{APIURL: api, Version: "202610"} }}
}

// authorized is a datasource with a token, whose config keeps reads for
// cacheSeconds.
func authorized(id string, cacheSeconds int) *ps.Datasource {
	return &ps.Datasource{ID: id, Workspace: "acme", Plugin: "linkedin", Token: &ps.Token{Version: 1},
		Config:    json.RawMessage(fmt.Sprintf(`{"readCacheSeconds":%d}`, cacheSeconds)),
		UpdatedAt: time.Unix(1_700_000_000, 0)}
}

// waiting is how many callers wait on the flights in flight.
func (e *Executor) waiting() int {
	e.flights.mu.Lock()
	defer e.flights.mu.Unlock()
	n := 0
	for _, f := range e.flights.m {
		n += f.joined
	}
	return n
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

const writeParams = `{"author":"person:1","lifecycleState":"PUBLISHED","text":"Hi","visibility":"PUBLIC"}`

func TestReadsAreTheCommandsThatOnlyRead(t *testing.T) {
	reads := map[string]bool{}
	for _, c := range linkedin.Plugin().Commands {
		if c.Read {
			reads[c.ID] = true
		}
	}
	for _, id := range []string{"getUserInfo", "getPost", "listPosts", "listComments", "listOrganizations", "getMediaUploadStatus",
		"getFollowerCount", "getFollowerStatistics", "getShareStatistics", "getPageStatistics", "getSocialMetadata", "getMemberPostAnalytics", "listReactions"} {
		if !reads[id] {
			t.Errorf("%s only reads but is not Read", id)
		}
		delete(reads, id)
	}
	// customAction lists no endpoints: it may write, whatever its method.
	for id := range reads {
		t.Errorf("%s is Read but may write", id)
	}
}

func TestIdenticalReadsInFlightShareOneCall(t *testing.T) {
	g := newGate()
	e := testExecutor(t, g)
	d := authorized("ds1", 0)
	const n = 50
	envs := make([]*plugin.Envelope, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			envs[i], _ = e.Execute(context.Background(), d, Request{Command: "getUserInfo", Params: json.RawMessage(`{ }`), RequestID: fmt.Sprint("req-", i)})
		}()
	}
	eventually(t, "every caller to wait on the call", func() bool { return e.waiting() == n })
	close(g.open)
	wg.Wait()
	if calls := g.count("GET"); calls != 1 {
		t.Fatalf("%d identical reads made %d calls, want 1", n, calls)
	}
	for i, env := range envs {
		if env.Error != nil || env.Status != 200 || string(env.Output) != g.body || !env.Meta.Coalesced || env.Meta.RequestID != fmt.Sprint("req-", i) || env.Meta.Cache != "" {
			t.Fatalf("caller %d: %+v", i, env)
		}
	}
}

func TestWhatIsNeverShared(t *testing.T) {
	tests := []struct {
		name  string
		a, b  func() (*ps.Datasource, Request)
		calls int
	}{
		{"identical writes", func() (*ps.Datasource, Request) {
			return authorized("ds1", 0), Request{Command: "createPost", Params: json.RawMessage(writeParams)}
		}, nil, 6},
		{"reads of two datasources", func() (*ps.Datasource, Request) {
			return authorized("ds1", 0), Request{Command: "getUserInfo"}
		}, func() (*ps.Datasource, Request) {
			return authorized("ds2", 0), Request{Command: "getUserInfo"}
		}, 2},
		{"the same datasource id in two workspaces", func() (*ps.Datasource, Request) {
			return authorized("ds1", 0), Request{Command: "getUserInfo"}
		}, func() (*ps.Datasource, Request) {
			d := authorized("ds1", 0)
			d.Workspace = "other"
			return d, Request{Command: "getUserInfo"}
		}, 2},
		{"reads with other params", func() (*ps.Datasource, Request) {
			return authorized("ds1", 0), Request{Command: "getPost", Params: json.RawMessage(`{"post":"urn:li:share:1"}`)}
		}, func() (*ps.Datasource, Request) {
			return authorized("ds1", 0), Request{Command: "getPost", Params: json.RawMessage(`{"post":"urn:li:share:2"}`)}
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate()
			e := testExecutor(t, g)
			runs := []func() (*ps.Datasource, Request){tt.a, tt.b}
			if tt.b == nil {
				runs = []func() (*ps.Datasource, Request){tt.a, tt.a, tt.a, tt.a, tt.a, tt.a}
			}
			var wg sync.WaitGroup
			envs := make([]*plugin.Envelope, len(runs))
			for i, run := range runs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, req := run()
					envs[i], _ = e.Execute(context.Background(), d, req)
				}()
			}
			eventually(t, "every call to be sent", func() bool { return g.count("GET")+g.count("POST") == tt.calls })
			close(g.open)
			wg.Wait()
			for i, env := range envs {
				if env.Meta.Coalesced || env.Error != nil {
					t.Errorf("caller %d: %+v", i, env)
				}
			}
		})
	}
}

func TestACallerWhoLeavesDoesNotCancelTheSharedCall(t *testing.T) {
	g := newGate()
	e := testExecutor(t, g)
	d := authorized("ds1", 0)
	ctx, hangUp := context.WithCancel(context.Background())
	left := make(chan *plugin.Envelope)
	go func() {
		env, _ := e.Execute(ctx, d, Request{Command: "getUserInfo"})
		left <- env
	}()
	eventually(t, "the first caller's call", func() bool { return g.count("GET") == 1 })
	stayed := make(chan *plugin.Envelope)
	go func() {
		env, _ := e.Execute(context.Background(), d, Request{Command: "getUserInfo"})
		stayed <- env
	}()
	eventually(t, "the second caller to join", func() bool { return e.waiting() == 2 })
	hangUp()
	if env := <-left; env.Error == nil || env.Error.Code != plugin.UpstreamUnavailable {
		t.Fatalf("the caller who left: %+v", env)
	}
	close(g.open)
	env := <-stayed
	if env.Error != nil || string(env.Output) != g.body || !env.Meta.Coalesced {
		t.Fatalf("the caller who stayed: %+v", env)
	}
	if g.count("GET") != 1 || g.cancelled != 0 {
		t.Fatalf("%d calls, %d cancelled", g.count("GET"), g.cancelled)
	}
}

func TestTheSharedCallKeepsItsOwnTimeout(t *testing.T) {
	g := newGate()
	e := testExecutor(t, g)
	e.CallTimeout = 50 * time.Millisecond
	env, _ := e.Execute(context.Background(), authorized("ds1", 0), Request{Command: "getUserInfo"})
	if env.Error == nil || g.cancelled != 1 {
		t.Fatalf("a call past its timeout: %+v, %d cancelled", env, g.cancelled)
	}
	eventually(t, "the flight to end", func() bool { return e.waiting() == 0 })
}

func TestAReadAfterAWriteDoesNotJoinAnEarlierRead(t *testing.T) {
	g := newGate()
	e := testExecutor(t, g)
	d := authorized("ds1", 0)
	done := make(chan *plugin.Envelope, 2)
	go func() {
		env, _ := e.Execute(context.Background(), d, Request{Command: "getUserInfo"})
		done <- env
	}()
	eventually(t, "the first read", func() bool { return g.count("GET") == 1 })
	if env, _ := e.Execute(context.Background(), d, Request{Command: "createPost", Params: json.RawMessage(writeParams)}); env.Error != nil {
		t.Fatal(env.Error)
	}
	go func() {
		env, _ := e.Execute(context.Background(), d, Request{Command: "getUserInfo"})
		done <- env
	}()
	eventually(t, "the read after the write to be sent", func() bool { return g.count("GET") == 2 })
	close(g.open)
	for range 2 {
		if env := <-done; env.Error != nil || env.Meta.Coalesced {
			t.Fatalf("%+v", env)
		}
	}
}

func TestDryRunsAreNotShared(t *testing.T) {
	g := newGate()
	e := testExecutor(t, g)
	d := authorized("ds1", 60)
	go e.Execute(context.Background(), d, Request{Command: "getUserInfo"})
	eventually(t, "a read in flight", func() bool { return g.count("GET") == 1 })
	env, _ := e.Execute(context.Background(), d, Request{Command: "getUserInfo", DryRun: true})
	if env.Meta.Coalesced || env.Meta.Cache != "" || !strings.Contains(string(env.Output), "[REDACTED]") {
		t.Fatalf("dry run: %+v", env)
	}
	close(g.open)
}

// turnChecker is a LinkedIn that notes any call made while its caller
// holds a CPU turn.
type turnChecker struct {
	*gate
	mu   sync.Mutex
	held int
}

func (c *turnChecker) Do(ctx context.Context, call *plugin.Call, token string) (*plugin.Response, error) {
	if workers.From(ctx).Holds() {
		c.mu.Lock()
		c.held++
		c.mu.Unlock()
	}
	return c.gate.Do(ctx, call, token)
}

// Waits on LinkedIn and on a shared read give the CPU turn up: with one
// turn and none lent, three identical reads and a write all get to wait
// on LinkedIn at once, and LinkedIn never sees a call made under a turn.
func TestWaitsGiveTheTurnUp(t *testing.T) {
	g := &turnChecker{gate: newGate()}
	e := testExecutor(t, g)
	d := authorized("ds1", 0)
	turns := workers.NewTurns(1, 0)
	var wg sync.WaitGroup
	run := func(command, params string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			turn, err := turns.Take(context.Background(), d.Workspace)
			if err != nil {
				t.Error(err)
				return
			}
			defer turn.Leave()
			env, err := e.Execute(workers.With(context.Background(), turn), d, Request{Command: command, Params: json.RawMessage(params)})
			if err != nil || env.Error != nil {
				t.Errorf("%s: %v %+v", command, err, env.Error)
			}
			if !turn.Holds() {
				t.Errorf("%s: the turn did not come back after the wait", command)
			}
		}()
	}
	for range 3 {
		run("getUserInfo", `{}`)
	}
	eventually(t, "three readers waiting on one call", func() bool { return e.waiting() == 3 })
	run("createPost", writeParams) // a write: its own call, not the reads'
	eventually(t, "the write sent", func() bool { return g.count("POST") == 1 })
	close(g.open)
	wg.Wait()
	if g.count("GET") != 1 || g.held != 0 {
		t.Fatalf("%d GETs (want 1), %d calls made under a turn", g.count("GET"), g.held)
	}
	if turns.Held() != 0 {
		t.Fatalf("%d turns still held", turns.Held())
	}
}
