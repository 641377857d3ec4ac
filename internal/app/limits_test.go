package app_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"pluginserver/internal/app"
	"pluginserver/internal/testclock"
	"pluginserver/plugin/linkedin/sandbox"
)

func TestBodyLimits(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	_, reg := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"registerMediaUpload","params":{"author":"person:782bbtaQ","mediaCategory":"image"}}`)
	uploadURL := reg["output"].(map[string]any)["value"].(map[string]any)["uploadMechanism"].(map[string]any)["com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest"].(map[string]any)["uploadUrl"].(string)
	file := base64.StdEncoding.EncodeToString(make([]byte, 2<<20)) // about 2.7 MB of JSON
	status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"uploadMedia","params":{"uploadUrl":"`+uploadURL+`","data":"`+file+`","contentType":"image/png"}}`)
	if status != 200 || env["status"] != 201.0 {
		t.Fatalf("an upload over the JSON limit but under the upload limit: %d %v", status, env["error"])
	}
	h.app.Sandbox.Reset()
	status, env = h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"customAction","params":{"method":"POST","path":"/v2/x","body":"`+file+`"}}`)
	if status != 413 || env["error"].(map[string]any)["code"] != "payload_too_large" || len(h.app.Sandbox.Requests()) != 0 {
		t.Fatalf("another command over the JSON limit: %d %v", status, env["error"])
	}
}

func TestParamsShapeLimits(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"customAction","params":{"method":"POST","path":"/v2/x","body":`+deep+`}}`)
	if status != 400 || fields(env)[0] != "params" || !strings.Contains(env["error"].(map[string]any)["message"].(string), "deeper") {
		t.Fatalf("%d %v", status, env["error"])
	}
}

func TestRateLimitPerDatasource(t *testing.T) {
	clk := testclock.New(time.Now())
	h := startHarness(t, map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "1", "PLUGIN_SERVER_RATE_BURST": "2"}, app.Options{Now: clk.Now}, "--sandbox")
	id := h.authorizedDatasource()
	other := h.authorizedDatasource()
	call := func(ds string) *http.Response {
		req, _ := http.NewRequest("POST", h.srv.URL+"/v1/datasources/"+ds+"/execute", strings.NewReader(`{"command":"getUserInfo"}`))
		req.Header.Set("Authorization", "Bearer "+builder)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for i := range 2 {
		if resp := call(id); resp.StatusCode != 200 {
			t.Fatalf("call %d within the burst: %d", i+1, resp.StatusCode)
		}
	}
	h.app.Sandbox.Reset()
	resp := call(id)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || len(h.app.Sandbox.Requests()) != 0 {
		t.Fatalf("over the rate: %d, Retry-After %q, %d sent", resp.StatusCode, resp.Header.Get("Retry-After"), len(h.app.Sandbox.Requests()))
	}
	if resp := call(other); resp.StatusCode != 200 {
		t.Fatalf("another datasource was limited too: %d", resp.StatusCode)
	}
	dry := func() int {
		status, _ := h.do("POST", "/v1/datasources/"+id+"/execute?dryRun=true", builder, `{"command":"getUserInfo"}`)
		return status
	}
	if dry() != 200 {
		t.Fatal("a dry run, which sends nothing, was rate limited")
	}
	clk.Advance(time.Second)
	if resp := call(id); resp.StatusCode != 200 {
		t.Fatalf("after the wait: %d", resp.StatusCode)
	}
}

// TestExecutesTakeTurns: with PLUGIN_SERVER_MAX_EXECUTES busy, a JSON
// execute waits its turn up to the call timeout, then gets rate_limited
// having sent nothing; a streamed file does not wait for a worker.
func TestExecutesTakeTurns(t *testing.T) {
	f := newFaultyLinkedIn(t)
	h := startHarness(t, withEnv(sandbox.Env(f.srv.URL), map[string]string{
		"PLUGIN_SERVER_MAX_EXECUTES": "1", "PLUGIN_SERVER_CALL_TIMEOUT": "300ms", "PLUGIN_SERVER_RATE_LIMIT": "0",
	}), app.Options{})
	id := h.authorizedDatasource()
	held, _ := h.register(id)
	heldURL, _ := url.Parse(held)
	entered, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	defer free()
	f.inject(heldURL.Path, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		close(entered)
		<-release
		w.WriteHeader(201)
	})

	// An upload sent as JSON holds the only worker until LinkedIn answers.
	first := make(chan int, 1)
	go func() {
		status, _ := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"uploadMedia","params":{"uploadUrl":"`+held+`","data":"aGVsbG8="}}`)
		first <- status
	}()
	select {
	case <-entered:
	case status := <-first:
		t.Fatalf("the upload did not reach LinkedIn: %d", status)
	}

	req, _ := http.NewRequest("POST", h.srv.URL+"/v1/datasources/"+id+"/execute", strings.NewReader(`{"command":"getUserInfo"}`))
	req.Header.Set("Authorization", "Bearer "+builder)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Error struct{ Code string } }
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if resp.StatusCode != 429 || env.Error.Code != "rate_limited" || resp.Header.Get("Retry-After") != "1" || f.count("/v2/userinfo") != 0 {
		t.Fatalf("an execute while every worker is busy: %d %+v, Retry-After %q, userinfo calls %d",
			resp.StatusCode, env, resp.Header.Get("Retry-After"), f.count("/v2/userinfo"))
	}

	other, _ := url.Parse(held)
	other.Path += "-other" // the emulator takes any upload path of its host
	if status, env := h.upload(id, "command=uploadMedia&uploadUrl="+url.QueryEscape(other.String()), "image/png", strings.NewReader("png"), 3); status != 200 {
		t.Fatalf("a streamed upload while every worker is busy: %d %s", status, env)
	}

	free()
	if status := <-first; status != 200 {
		t.Fatalf("the upload that held the worker: %d", status)
	}
	if status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getUserInfo"}`); status != 200 {
		t.Fatalf("once the worker is free: %d %v", status, env["error"])
	}
}
