package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pluginserver/internal/app"
	"pluginserver/internal/testclock"
	"pluginserver/plugin/linkedin/sandbox"
)

// A few workspaces cannot pause LinkedIn for everyone: an upload host
// answering 500 to one upload of each of 5 datasources in each of 3
// workspaces leaves a fourth workspace's getUserInfo working. LinkedIn's
// API failing for them over time does pause it, and says why.
func TestAnUploadHostFailingPausesNoOneElse(t *testing.T) {
	cases := []struct {
		name string
		// upload fails uploads on the upload host; otherwise createPost
		// fails on LinkedIn's API.
		upload bool
		rounds []time.Duration
		paused bool
	}{
		{"an upload host answering 500", true, []time.Duration{0}, false},
		{"an upload host answering 500, over 20 s", true, []time.Duration{0, 10 * time.Second, 20 * time.Second}, false},
		{"LinkedIn's API answering 500 at once", false, []time.Duration{0}, false},
		{"LinkedIn's API answering 500 over 10 s", false, []time.Duration{0, 10 * time.Second}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFaultyLinkedIn(t)
			var uploads atomic.Int64
			uploadHost := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				uploads.Add(1)
				answer(500)(w, r)
			}))
			t.Cleanup(uploadHost.Close)
			clk := testclock.New(time.Now())
			slept := &sleeps{}
			keys := make([]string, 4)
			var entries []string
			for w := range keys {
				keys[w] = fmt.Sprintf("workspace-%d-admin-key-0123456789", w)
				entries = append(entries, fmt.Sprintf("%s:admin:w%d", keys[w], w))
			}
			h := startHarness(t, withEnv(sandbox.Env(f.srv.URL), map[string]string{
				"PLUGIN_SERVER_API_KEYS": strings.Join(entries, ","), "PLUGIN_SERVER_RATE_LIMIT": "0",
				"LINKEDIN_UPLOAD_HOSTS": f.srv.Listener.Addr().String() + "," + uploadHost.Listener.Addr().String(),
			}), app.Options{Now: clk.Now, Sleep: slept.Sleep})
			type datasource struct{ id, key string }
			var failing []datasource
			for w := range 3 {
				for range 5 {
					failing = append(failing, datasource{h.authorizedIn(keys[w]), keys[w]})
				}
			}
			bystander := h.authorizedIn(keys[3])

			start := clk.Now()
			for _, at := range c.rounds {
				clk.Advance(start.Add(at).Sub(clk.Now()))
				body := `{"command":"uploadMedia","params":{"uploadUrl":"` + uploadHost.URL + `/dms-uploads/C5522AQGTYER3k3ByHQ","data":"aGk="}}`
				if !c.upload {
					f.inject("/v2/ugcPosts", func() []fault {
						var faults []fault
						for range failing {
							faults = append(faults, answer(500))
						}
						return faults
					}()...)
				}
				for i, ds := range failing {
					if !c.upload {
						body = `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"` + fmt.Sprint(at, i) + `","visibility":"PUBLIC"}}`
					}
					if status, env := h.do("POST", "/v1/datasources/"+ds.id+"/execute", ds.key, body); status != 502 {
						t.Fatalf("datasource %d: %d %v, want LinkedIn's failure", i, status, env["error"])
					}
					clk.Advance(13 * time.Millisecond)
				}
			}
			if c.upload && uploads.Load() == 0 {
				t.Fatal("no upload reached the upload host")
			}
			status, env := h.do("POST", "/v1/datasources/"+bystander+"/execute", keys[3], `{"command":"getUserInfo"}`)
			if paused := status != 200; paused != c.paused {
				t.Fatalf("a fourth workspace's getUserInfo: %d %v, want paused: %v", status, env["error"], c.paused)
			}
			if c.paused && !strings.Contains(fmt.Sprint(env["error"]), "LinkedIn appears to be down") {
				t.Fatalf("the pause: %v", env["error"])
			}
			if !c.paused && env["output"].(map[string]any)["sub"] == nil {
				t.Fatalf("getUserInfo answered %v", env)
			}
		})
	}
}
