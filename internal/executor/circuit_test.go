package executor_test

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
	"pluginserver/internal/circuit"
	"pluginserver/internal/executor"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// failingLinkedIn answers each call with fail when it is set, with a
// success otherwise, and counts the calls that reached an upload URL.
type failingLinkedIn struct {
	mu      sync.Mutex
	fail    func(c *plugin.Call) (*plugin.Response, error)
	uploads int
}

func (l *failingLinkedIn) Do(_ context.Context, c *plugin.Call, _ string) (*plugin.Response, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.Upload {
		l.uploads++
	}
	if l.fail != nil {
		return l.fail(c)
	}
	return &plugin.Response{Status: 200, Header: header(), Body: []byte(`{"sub":"782bbtaQ"}`), Call: c}, nil
}

func (l *failingLinkedIn) set(fail func(c *plugin.Call) (*plugin.Response, error)) {
	l.mu.Lock()
	l.fail = fail
	l.mu.Unlock()
}

// Only LinkedIn's API host failing, for datasources of several
// workspaces and over time, pauses a workspace that had no part in it: an
// upload host answering 500 (on its own host or on the API's), a burst of
// the API's failures, or callers hanging up never do.
func TestOnlyTheAPIFailingOverTimePausesEveryone(t *testing.T) {
	const (
		upload  = `{"uploadUrl":"https://www.linkedin.com/dms-uploads/C5522AQGTYER3k3ByHQ","data":"aGk="}`
		onAPI   = `{"uploadUrl":"https://api.linkedin.com/mediaUpload/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0","data":"aGk="}`
		post    = postParams
		hangUp  = "hang up"
		timeout = "timeout"
	)
	cases := []struct {
		name    string
		command string
		params  string
		// fail is how LinkedIn fails: an HTTP status, or timeout or
		// hangUp.
		fail string
		// rounds are when each datasource's call fails, the calls of a
		// round 13 ms apart (5 datasources × 3 workspaces in 0.2 s).
		rounds []time.Duration
		paused bool
	}{
		{"an upload host answering 500, in 0.2 s", "uploadMedia", upload, "500", []time.Duration{0}, false},
		{"an upload host answering 500, over a minute", "uploadMedia", upload, "500", []time.Duration{0, 15 * time.Second, 30 * time.Second, 45 * time.Second}, false},
		{"an upload URL on the API host answering 503, over 20 s", "uploadMedia", onAPI, "503", []time.Duration{0, 10 * time.Second, 20 * time.Second}, false},
		{"the API answering 500, in 0.2 s", "createPost", post, "500", []time.Duration{0}, false},
		{"the API answering 500, over 10 s", "createPost", post, "500", []time.Duration{0, 10 * time.Second}, true},
		{"the API not answering in time, over 10 s", "createPost", post, timeout, []time.Duration{0, 10 * time.Second}, true},
		{"callers hanging up, over 20 s", "createPost", post, hangUp, []time.Duration{0, 10 * time.Second, 20 * time.Second}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Unix(1_800_000_000, 0)
			now := start
			var mu sync.Mutex
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			cat, err := catalog.New(linkedin.Plugin())
			if err != nil {
				t.Fatal(err)
			}
			api, _ := url.Parse("https://api.linkedin.com")
			settings := plugin.Settings{APIURL: api, Version: "202610", UploadHosts: []string{"api.linkedin.com", "www.linkedin.com"}}
			linkedIn := &failingLinkedIn{}
			e := &executor.Executor{Catalog: cat, Tokens: tokens{}, Sender: linkedIn, Now: clock,
				Settings: func(*ps.Datasource) plugin.Settings { return settings },
				Breaker:  circuit.New(5, 30*time.Second, circuit.DefaultOutage, clock)}
			var cancel context.CancelFunc
			linkedIn.set(func(call *plugin.Call) (*plugin.Response, error) {
				switch c.fail {
				case hangUp:
					// The caller went away while LinkedIn was answering:
					// the connection broke under the call.
					cancel()
					return nil, &plugin.Error{Code: plugin.UpstreamUnavailable, Message: "connection closed"}
				case timeout:
					return nil, &plugin.Error{Code: plugin.UpstreamTimeout, Message: "LinkedIn did not answer in time"}
				}
				var status int
				fmt.Sscan(c.fail, &status)
				return &plugin.Response{Status: status, Header: header(), Body: []byte(`{"message":"injected"}`), Call: call}, nil
			})
			for _, round := range c.rounds {
				mu.Lock()
				now = start.Add(round)
				mu.Unlock()
				for w := range 3 {
					for d := range 5 {
						ds := &ps.Datasource{ID: fmt.Sprintf("ws%d-ds%d", w, d), Workspace: fmt.Sprintf("ws%d", w), Plugin: "linkedin"}
						var ctx context.Context
						ctx, cancel = context.WithCancel(context.Background())
						env, err := e.Execute(ctx, ds, executor.Request{Command: c.command, Params: json.RawMessage(c.params)})
						cancel()
						if err != nil || env.Error == nil {
							t.Fatalf("%s on %s: %v %+v, want LinkedIn's failure", c.command, ds.ID, err, env.Error)
						}
						mu.Lock()
						now = now.Add(13 * time.Millisecond)
						mu.Unlock()
					}
				}
			}
			if strings.Contains(c.command, "upload") && linkedIn.uploads == 0 {
				t.Fatal("no call reached the upload URL")
			}
			linkedIn.set(nil)
			bystander := &ps.Datasource{ID: "bystander", Workspace: "ws3", Plugin: "linkedin"}
			env, err := e.Execute(context.Background(), bystander, executor.Request{Command: "getUserInfo", Params: json.RawMessage(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			if paused := env.Error != nil; paused != c.paused {
				t.Fatalf("a fourth workspace's getUserInfo: %+v, want paused: %v", env.Error, c.paused)
			}
			if c.paused && (env.Error.Code != plugin.UpstreamUnavailable || !strings.Contains(env.Error.Message, "LinkedIn appears to be down")) {
				t.Fatalf("the pause: %+v", env.Error)
			}
			if !c.paused && string(env.Output) != `{"sub":"782bbtaQ"}` {
				t.Fatalf("a fourth workspace's getUserInfo answered %s", env.Output)
			}
		})
	}
}
