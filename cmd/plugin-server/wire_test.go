package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pluginserver/plugin/linkedin/sandbox"
)

// These tests drive a real server process over the wire, the way clients
// people use do: curl's and browsers' content types, callers that hang up,
// bodies that trickle, and a workspace that misbehaves beside a quiet one.

// wireLinkedIn is the sandbox emulator with faults a test can switch on.
type wireLinkedIn struct {
	*sandbox.Sandbox
	url string
	// slow delays every API answer; failing answers 503 to userinfo.
	slow    atomic.Int64
	failing atomic.Bool
	// uploadRefused answers 401 at upload URLs.
	uploadRefused atomic.Bool
	// bigPost, when set, is the size of the JSON a post's read answers.
	bigPost atomic.Int64
	// sent counts the API calls that reached the fake.
	sent atomic.Int64
}

func newWireLinkedIn(t *testing.T) *wireLinkedIn {
	fake := httptest.NewUnstartedServer(nil)
	f := &wireLinkedIn{url: "http://" + fake.Listener.Addr().String()}
	f.Sandbox = sandbox.New(sandbox.Options{BaseURL: f.url})
	fake.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/oauth/") {
			f.sent.Add(1)
			time.Sleep(time.Duration(f.slow.Load()))
			if f.uploadRefused.Load() && strings.HasPrefix(r.URL.Path, "/mediaUpload/") {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if n := f.bigPost.Load(); n > 0 && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/rest/posts/") {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"id":"urn:li:share:1","commentary":"`+strings.Repeat("x", int(n))+`"}`)
				return
			}
			if f.failing.Load() && r.URL.Path == "/v2/userinfo" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `{"status":503,"message":"Service Unavailable"}`)
				return
			}
		}
		f.Sandbox.ServeHTTP(w, r)
	})
	fake.Start()
	t.Cleanup(fake.Close)
	return f
}

// startWire starts a server process against f with API keys for two
// workspaces, acme and other, and more settings as name, value pairs.
func startWire(t *testing.T, f *wireLinkedIn, more ...string) (*server, *exec.Cmd) {
	t.Helper()
	env := []string{"PLUGIN_SERVER_API_KEYS=" + adminKey + ":admin:acme," + builderKey + ":builder:acme," + otherKey + ":admin:other", "LOG_LEVEL=error"}
	for k, v := range sandbox.Env(f.url) {
		env = append(env, k+"="+v)
	}
	for i := 0; i+1 < len(more); i += 2 {
		env = append(env, more[i]+"="+more[i+1])
	}
	return startProcess(t, env, filepath.Join(t.TempDir(), "plugin-server.db"))
}

// authorizedAs creates and authorizes a datasource in key's workspace,
// with config (nil for none).
func (s *server) authorizedAs(key string, config map[string]any) string {
	s.t.Helper()
	create := map[string]any{"plugin": "linkedin", "name": "Wire"}
	if config != nil {
		create["config"] = config
	}
	_, ds := s.call("POST", "/v1/datasources", key, create)
	id := ds["id"].(string)
	s.follow(s.allowed(key, id))
	return id
}

// allowed clicks Authorize and Allow on LinkedIn's page, and returns where
// LinkedIn sends the member's browser back.
func (s *server) allowed(key, id string) *url.URL {
	s.t.Helper()
	_, auth := s.call("POST", "/v1/datasources/"+id+"/authorize", key, nil)
	back, err := sandbox.Consent(http.DefaultTransport, auth["authorizationUrl"].(string), true)
	if err != nil {
		s.t.Fatal(err)
	}
	return back
}

// follow is the member's browser arriving back.
func (s *server) follow(back *url.URL) {
	s.t.Helper()
	resp, err := http.Get(back.String())
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
}

// raw sends a body as it is, under a content type, and decodes the answer.
func (s *server) raw(key, path, contentType string, body io.Reader) (int, map[string]any) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url+path, body)
	req.Header.Set("Authorization", "Bearer "+key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatalf("answer is not JSON: %d %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func TestExecuteContentTypes(t *testing.T) {
	f := newWireLinkedIn(t)
	s, _ := startWire(t, f)
	id := s.authorizedAs(adminKey, nil)
	path := "/v1/datasources/" + id + "/execute"
	body := `{"command":"getUserInfo"}`
	cases := []struct {
		contentType string
		status      int
		code, field string
	}{
		{"application/json", 200, "", ""},
		{"application/json; charset=utf-8", 200, "", ""},
		{"application/x-www-form-urlencoded", 200, "", ""}, // curl -d
		{"text/plain;charset=UTF-8", 200, "", ""},          // fetch with a string body
		{"", 200, "", ""},
		{"application/xml", 415, "unsupported_media_type", "Content-Type"},
		{"text/html", 415, "unsupported_media_type", "Content-Type"},
		{"not a type;;", 415, "unsupported_media_type", "Content-Type"},
		{"image/png", 400, "invalid_input", "command"}, // a file needs its command in the query
	}
	// A body of unknown length (chunked) is read as it comes.
	if status, env := s.raw(adminKey, path, "application/json", io.MultiReader(strings.NewReader(body))); status != 200 || get(env, "output", "sub") != "782bbtaQ" {
		t.Fatalf("a chunked body: %d %v", status, env["error"])
	}
	twice := path + "?command=uploadMedia&command=uploadVideo"
	if status, env := s.raw(adminKey, twice, "image/png", strings.NewReader("x")); status != 400 || get(env, "error", "fields").([]any)[0].(map[string]any)["field"] != "command" {
		t.Fatalf("command twice in the query: %d %v", status, env["error"])
	}
	for _, c := range cases {
		t.Run(c.contentType, func(t *testing.T) {
			status, env := s.raw(adminKey, path, c.contentType, strings.NewReader(body))
			if status != c.status || errorCode(env) != c.code {
				t.Fatalf("%d %v", status, env["error"])
			}
			if c.status == 200 && get(env, "output", "sub") != "782bbtaQ" {
				t.Fatalf("output %v", env["output"])
			}
			if c.field != "" && get(env, "error", "fields").([]any)[0].(map[string]any)["field"] != c.field {
				t.Fatalf("fields %v", get(env, "error", "fields"))
			}
			if c.status == 415 && !strings.Contains(get(env, "error", "message").(string), "application/json") {
				t.Fatalf("a 415 must say what to send: %v", get(env, "error", "message"))
			}
		})
	}
	// curl --data-binary @photo.png with the command in the query is a
	// file, whatever curl calls its type.
	_, reg := s.execute(adminKey, id, "registerMediaUpload", map[string]any{"author": "person:782bbtaQ", "mediaCategory": "image"})
	upload := get(reg, "output", "value", "uploadMechanism", "com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest", "uploadUrl").(string)
	status, env := s.raw(adminKey, path+"?command=uploadMedia&contentType=image/png&uploadUrl="+urlQuery(upload), "application/x-www-form-urlencoded", strings.NewReader("\x89PNG\r\n\x1a\n"))
	if status != 200 || get(env, "status") != 201.0 {
		t.Fatalf("curl --data-binary upload: %d %v", status, env["error"])
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "?", "%3F", "=", "%3D", "+", "%2B", "#", "%23").Replace(s)
}

// Callers that hang up mid-call, and bad input, never count as LinkedIn
// failing; LinkedIn's own failures pause only their datasource.
func TestFailuresAreAttributed(t *testing.T) {
	f := newWireLinkedIn(t)
	s, _ := startWire(t, f, "PLUGIN_SERVER_CIRCUIT_THRESHOLD", "3")
	id := s.authorizedAs(adminKey, nil)
	other := s.authorizedAs(otherKey, nil)

	// A dozen callers give up while LinkedIn is slow.
	f.slow.Store(int64(300 * time.Millisecond))
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", s.url+"/v1/datasources/"+id+"/execute", strings.NewReader(`{"command":"getUserInfo"}`))
			req.Header.Set("Authorization", "Bearer "+adminKey)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	f.slow.Store(0)
	if !s.works(id) {
		t.Fatal("callers hanging up paused the datasource")
	}

	// Bad input: a data: URL whose media type carries CR LF.
	_, reg := s.execute(adminKey, id, "registerMediaUpload", map[string]any{"author": "person:782bbtaQ", "mediaCategory": "image"})
	upload := get(reg, "output", "value", "uploadMechanism", "com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest", "uploadUrl").(string)
	for range 6 {
		status, env := s.execute(adminKey, id, "uploadMedia", map[string]any{"uploadUrl": upload, "data": "data:image/png\r\nX-Evil: 1;base64,iVBORw0KGgo="})
		if status != 400 || errorCode(env) != "invalid_input" {
			t.Fatalf("a data: URL with CR LF: %d %v", status, env["error"])
		}
	}
	if !s.works(id) {
		t.Fatal("bad input paused the datasource")
	}

	// LinkedIn fails acme's calls: acme's datasource pauses, other's not.
	f.failing.Store(true)
	for range 3 {
		s.execute(adminKey, id, "getUserInfo", nil)
	}
	f.failing.Store(false)
	before := f.sent.Load()
	status, env := s.execute(adminKey, id, "getUserInfo", nil)
	if status != 502 || !strings.Contains(get(env, "error", "message").(string), "paused") || f.sent.Load() != before {
		t.Fatalf("after LinkedIn's failures the datasource is not paused: %d %v", status, env["error"])
	}
	status, env = s.execute(otherKey, other, "getUserInfo", nil)
	if status != 200 {
		t.Fatalf("another workspace's datasource was paused by acme's failures: %d %v", status, env["error"])
	}
}

// trickle sends a JSON execute body one byte at a time, every gap, until
// the server answers or stop closes; it returns the status.
func trickle(base, path, key string, body []byte, gap time.Duration, stop chan struct{}) int {
	host := strings.TrimPrefix(base, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		return 0
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", path, host, key, len(body))
	answered := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	for _, b := range body {
		select {
		case status := <-answered:
			return status
		case <-stop:
			return 0
		case <-time.After(gap):
		}
		if _, err := conn.Write([]byte{b}); err != nil {
			break
		}
	}
	select {
	case status := <-answered:
		return status
	case <-stop:
		return 0
	}
}

// Slow bodies from one workspace hold no worker: another workspace's calls
// go through, and the slow bodies are cut off at the body deadline.
func TestSlowBodiesHoldNoWorker(t *testing.T) {
	f := newWireLinkedIn(t)
	s, _ := startWire(t, f, "PLUGIN_SERVER_MAX_EXECUTES", "4", "PLUGIN_SERVER_BODY_TIMEOUT", "2s")
	hostile := s.authorizedAs(adminKey, nil)
	quiet := s.authorizedAs(otherKey, nil)
	stop := make(chan struct{})
	statuses := make(chan int, 40)
	for range 40 {
		go func() {
			statuses <- trickle(s.url, "/v1/datasources/"+hostile+"/execute", adminKey, []byte(`{"command":"getUserInfo"}`), 300*time.Millisecond, stop)
		}()
	}
	time.Sleep(500 * time.Millisecond)
	for range 10 {
		status, env := s.execute(otherKey, quiet, "getUserInfo", nil)
		if status != 200 {
			t.Fatalf("the quiet workspace's call beside slow bodies: %d %v", status, env["error"])
		}
	}
	for range 40 {
		if status := <-statuses; status != 400 {
			t.Errorf("a body trickling past the deadline got %d, want 400", status)
		}
	}
	close(stop)

	// A body that stops short of its length is answered at the deadline,
	// not when (never) the rest arrives.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/datasources/%s/execute HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 100\r\n\r\n{\"command\":\"getUserInfo\"}", hostile, adminKey)
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("a body short of its length got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("a body short of its length got %d, want 400", resp.StatusCode)
	}
}

// Slow uploads of one workspace keep to its share of upload streams, on
// connections of their own: another workspace's calls go through.
func TestSlowUploadsKeepToTheirShare(t *testing.T) {
	f := newWireLinkedIn(t)
	s, _ := startWire(t, f, "PLUGIN_SERVER_MAX_UPLOADS", "8", "PLUGIN_SERVER_CALL_TIMEOUT", "2s")
	hostile, upload := s.uploadTarget(adminKey)
	quiet := s.authorizedAs(otherKey, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var refused atomic.Int64
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, err := s.uploadMedia(ctx, adminKey, hostile, upload, trickle100(ctx)); err == nil && status == 429 {
				refused.Add(1)
			}
		}()
	}
	time.Sleep(time.Second)
	for range 10 {
		if status, env := s.execute(otherKey, quiet, "getUserInfo", nil); status != 200 {
			t.Fatalf("the quiet workspace's call beside slow uploads: %d %v", status, env["error"])
		}
	}
	// 8 streams, 4 a workspace: the rest wait their turn and are told to
	// come back when the wait is over.
	for deadline := time.Now().Add(10 * time.Second); refused.Load() < 26 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if n := refused.Load(); n < 26 {
		t.Errorf("%d of 30 slow uploads were refused; with a share of 4 streams, 26 should be", n)
	}
	cancel()
	wg.Wait()
}

// Two workspaces trickling as many uploads as they can do not take every
// upload stream: shares are of what the others leave, so a third
// workspace, holding none, gets one at once and its upload goes through
// while theirs still trickle.
func TestUploadStreamsLeaveSomeForOthers(t *testing.T) {
	const thirdKey = "thd-5e7a9c1b3d5f7a9c"
	f := newWireLinkedIn(t)
	s, _ := startWire(t, f, "PLUGIN_SERVER_MAX_UPLOADS", "8", "PLUGIN_SERVER_CALL_TIMEOUT", "3s",
		"PLUGIN_SERVER_API_KEYS", adminKey+":admin:acme,"+otherKey+":admin:other,"+thirdKey+":admin:third")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for _, key := range []string{adminKey, otherKey} {
		id, target := s.uploadTarget(key)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.uploadMedia(ctx, key, id, target, trickle100(ctx))
			}()
		}
	}
	id, target := s.uploadTarget(thirdKey)
	time.Sleep(500 * time.Millisecond) // the trickles take what streams they may
	status, err := s.uploadMedia(context.Background(), thirdKey, id, target, bytes.NewReader([]byte("\x89PNG\r\n\x1a\n")))
	if err != nil || status/100 != 2 {
		t.Fatalf("the third workspace's upload beside two trickling ones: %d %v", status, err)
	}
}

// Callers that ask for a large answer and never read it hold neither the
// server's memory nor its handlers: LinkedIn's answer counts against the
// workspace's share from when it arrives until it is written, one that
// does not fit waits and is refused when its call's time is up, the write
// has a deadline that ends a connection that stopped reading, and another
// workspace's calls go through meanwhile.
func TestCallersThatNeverReadHoldLittle(t *testing.T) {
	const answer = 7 << 20 // more than the kernel's socket buffers take, less than the 8 MiB LinkedIn may answer
	f := newWireLinkedIn(t)
	f.bigPost.Store(answer)
	s, cmd := startWire(t, f)
	hostile := s.authorizedAs(adminKey, nil)
	quiet := s.authorizedAs(otherKey, nil)
	params := []byte(`{"command":"customAction","params":{"method":"GET","path":"/rest/posts/urn%3Ali%3Ashare%3A1"}}`)
	request := fmt.Sprintf("POST /v1/datasources/%s/execute HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		hostile, strings.TrimPrefix(s.url, "http://"), adminKey, len(params), params)
	const callers = 40
	conns := make([]net.Conn, 0, callers)
	for range callers {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetReadBuffer(4 << 10) // the kernel takes little of the answer for us
		defer c.Close()
		if _, err := c.Write([]byte(request)); err != nil { // and never reads
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	time.Sleep(2 * time.Second)
	for range 5 {
		if status, env := s.execute(otherKey, quiet, "getUserInfo", nil); status != 200 {
			t.Fatalf("another workspace's call beside callers that never read: %d %v", status, env["error"])
		}
	}
	// Past the write deadline (ten seconds and one a MiB), the server has
	// answered every execute, though no hostile caller read a byte: a few
	// 7 MiB answers began and were cut off, the rest were refused.
	answered := func() map[string]float64 {
		codes := map[string]float64{}
		_, samples := s.scrape()
		for _, sample := range samples {
			if sample.Name == "plugin_server_http_requests_total" && sample.Labels["route"] == "/v1/datasources/{id}/execute" {
				codes[sample.Labels["code"]] += sample.Value
			}
		}
		return codes
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		codes := answered()
		all := 0.0
		for _, n := range codes {
			all += n
		}
		if all >= callers+5 { // and the quiet workspace's five
			t.Logf("executes answered by status: %v", codes)
			if codes["429"] == 0 {
				t.Errorf("no 7 MiB answer was refused; a workspace's share holds a few, not %d (%v)", callers, codes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v of %d executes answered after a minute (%v): handlers are still writing to callers that stopped reading", all, callers+5, codes)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !raceDetector {
		if rss := peakRSS(t, cmd.Process.Pid); rss > 200<<20 {
			t.Errorf("peak RSS %d MiB with %d callers never reading a 7 MiB answer", rss>>20, callers)
		}
	}
}

// uploadTarget authorizes a datasource in key's workspace and registers an
// image upload on it: the datasource and the upload URL LinkedIn gave.
func (s *server) uploadTarget(key string) (id, upload string) {
	s.t.Helper()
	id = s.authorizedAs(key, nil)
	_, reg := s.execute(key, id, "registerMediaUpload", map[string]any{"author": "person:782bbtaQ", "mediaCategory": "image"})
	return id, get(reg, "output", "value", "uploadMechanism", "com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest", "uploadUrl").(string)
}

// uploadMedia streams body to uploadMedia as an image, and says what the
// server answered.
func (s *server) uploadMedia(ctx context.Context, key, id, target string, body io.Reader) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, "POST", s.url+"/v1/datasources/"+id+"/execute?command=uploadMedia&uploadUrl="+urlQuery(target), body)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "image/png")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// trickle100 is a body that sends a byte every 100 ms, a hundred in all,
// until ctx ends.
func trickle100(ctx context.Context) io.Reader {
	body, w := io.Pipe()
	go func() {
		defer w.Close()
		for range 100 {
			if _, err := w.Write([]byte{0}); err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return body
}

// peakRSS is a process's peak resident memory in bytes (VmHWM).
func peakRSS(t *testing.T, pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// MemoryBound is what docs/design.md promises for the default settings:
// large JSON bodies wait for their share of BodyMemory (64 MiB), so
// however many arrive at once the process stays under this.
const memoryBound = 256 << 20

// Sixteen 20 MiB JSON uploads at once, from two workspaces, are held to
// the body memory's shares: the process's peak RSS stays bounded.
func TestLargeBodiesKeepMemoryBounded(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector multiplies memory; make memory runs this without it")
	}
	f := newWireLinkedIn(t)
	s, cmd := startWire(t, f, "PLUGIN_SERVER_CALL_TIMEOUT", "60s")
	ids := map[string]string{adminKey: s.authorizedAs(adminKey, nil), otherKey: s.authorizedAs(otherKey, nil)}
	_, reg := s.execute(adminKey, ids[adminKey], "registerMediaUpload", map[string]any{"author": "person:782bbtaQ", "mediaCategory": "image"})
	upload := get(reg, "output", "value", "uploadMechanism", "com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest", "uploadUrl").(string)
	data := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xAB}, 15<<20)) // 20 MiB of base64
	body := []byte(`{"command":"uploadMedia","params":{"uploadUrl":"` + upload + `","contentType":"image/png","data":"` + data + `"}}`)
	var wg sync.WaitGroup
	statuses := make(chan int, 16)
	client := &http.Client{Timeout: 2 * time.Minute}
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := adminKey
			if i%2 == 1 {
				key = otherKey
			}
			req, _ := http.NewRequest("POST", s.url+"/v1/datasources/"+ids[key]+"/execute", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := client.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	done := 0
	for status := range statuses {
		if status == 200 {
			done++
		} else if status != 429 {
			t.Errorf("a large upload got %d", status)
		}
	}
	peak := peakRSS(t, cmd.Process.Pid)
	t.Logf("%d of 16 uploads of 20 MiB done; peak RSS %d MiB", done, peak>>20)
	if done == 0 {
		t.Fatal("no upload went through")
	}
	if peak > memoryBound {
		t.Fatalf("peak RSS %d MiB, over the bound of %d MiB", peak>>20, memoryBound>>20)
	}
}

// Text LinkedIn cannot take is refused naming the field, never altered or
// passed on, and a key given twice is refused rather than the last one run.
func TestTextIsNeverAltered(t *testing.T) {
	f := newWireLinkedIn(t)
	s, _ := startWire(t, f)
	id := s.authorizedAs(adminKey, nil)
	post := func(text string) string {
		return `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","visibility":"PUBLIC","text":"` + text + `"}}`
	}
	cases := []struct {
		name, body, field string
	}{
		{"command given twice", `{"command":"getUserInfo","command":"createPost"}`, "command"},
		{"a param given twice", `{"command":"createPost","params":{"author":"person:1","author":"person:2","lifecycleState":"PUBLISHED","visibility":"PUBLIC","text":"x"}}`, "author"},
		{"NUL escaped", post(`a\u0000b`), "text"},
		{"NUL raw", post("a\x00b"), "text"},
		{"escape character", post(`a\u001bb`), "text"},
		{"invalid UTF-8", post("caf\xe9"), "text"},
		{"lone surrogate", post(`\ud800`), "text"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.sent.Load()
			status, env := s.raw(adminKey, "/v1/datasources/"+id+"/execute", "application/json", strings.NewReader(c.body))
			if status != 400 || errorCode(env) != "invalid_input" || get(env, "error", "fields").([]any)[0].(map[string]any)["field"] != c.field {
				t.Fatalf("%d %v", status, env["error"])
			}
			if f.sent.Load() != before {
				t.Fatal("refused text reached LinkedIn")
			}
		})
	}
	// Tab, CR, LF and emoji are text.
	if status, env := s.raw(adminKey, "/v1/datasources/"+id+"/execute", "application/json", strings.NewReader(post(`tab\tline\r\nend \ud83d\ude00`))); status != 200 {
		t.Fatalf("ordinary text refused: %d %v", status, env["error"])
	}
	// The admin API reads JSON the same way.
	status, env := s.raw(adminKey, "/v1/datasources", "application/json", strings.NewReader(`{"plugin":"linkedin","name":"a","name":"b"}`))
	if status != 400 || get(env, "error", "fields").([]any)[0].(map[string]any)["field"] != "name" {
		t.Fatalf("a datasource with its name twice: %d %v", status, env["error"])
	}
}

// An upload URL's 401 is the upload URL's: the datasource stays
// authorized and its calls go on.
func TestUploadURL401KeepsTheToken(t *testing.T) {
	f := newWireLinkedIn(t)
	s, _ := startWire(t, f)
	id := s.authorizedAs(adminKey, nil)
	_, reg := s.execute(adminKey, id, "registerMediaUpload", map[string]any{"author": "person:782bbtaQ", "mediaCategory": "image"})
	upload := get(reg, "output", "value", "uploadMechanism", "com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest", "uploadUrl").(string)
	f.uploadRefused.Store(true)
	for range 3 {
		status, env := s.execute(adminKey, id, "uploadMedia", map[string]any{"uploadUrl": upload, "data": "data:image/png;base64,iVBORw0KGgo="})
		if status != 422 || errorCode(env) != "linkedin_rejected" || get(env, "status") != 401.0 {
			t.Fatalf("an upload URL's 401: %d %v", status, env["error"])
		}
	}
	if _, ds := s.call("GET", "/v1/datasources/"+id, adminKey, nil); ds["authStatus"] != "authorized" {
		t.Fatalf("after an upload URL's 401 the datasource is %v", ds["authStatus"])
	}
	if !s.works(id) {
		t.Fatal("after an upload URL's 401 the datasource's calls fail")
	}
}
