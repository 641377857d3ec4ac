package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"pluginserver/plugin/linkedin/sandbox"
)

// process is what a case measures: one process, or replicas measured as
// one, their CPU summed and the larger of their peak RSS, since together
// they serve the case's load.
type process struct {
	name string
	pids []int
}

// together measures servers as one process named name.
func together(name string, servers ...*serverProc) *process {
	p := &process{name: name}
	for _, s := range servers {
		p.pids = append(p.pids, s.pids...)
	}
	return p
}

// workspace is one of the server's workspaces: its builder key (what the
// load uses) and its authorized datasource.
type workspace struct {
	name, adminKey, builderKey, datasource string
}

// serverProc is cmd/plugin-server running as users run it.
type serverProc struct {
	*process
	url            string
	quiet, hostile workspace
	log            *logDrain
	cmd            *exec.Cmd
	stdin          io.Closer // with -cpuprofile: closing it ends the profile
	exited         chan struct{}
}

// execute is a JSON execute on w's datasource, with w's builder key, as a
// builder's app sends it.
func (s *serverProc) execute(w workspace, body string) *http.Request {
	r, _ := http.NewRequest("POST", s.url+"/v1/datasources/"+w.datasource+"/execute", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+w.builderKey)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// getUserInfoOn is the quiet workspace's getUserInfo, caller i asking
// servers[i % len(servers)]: replicas behind one load generator.
func getUserInfoOn(servers ...*serverProc) func(caller int) *http.Request {
	return func(caller int) *http.Request {
		s := servers[caller%len(servers)]
		return s.execute(s.quiet, `{"command":"getUserInfo","params":{}}`)
	}
}

// serverSpec is what every server process of a run shares: the binary,
// the two workspaces' API keys and LinkedIn's URLs. Each database gets
// its own datasources (see startServers).
type serverSpec struct {
	bin, fakeURL   string
	quiet, hostile workspace
	cpuProfile     string // -cpuprofile: see profile
}

// newServerSpec builds cmd/plugin-server once for every process of the run
// and makes the workspaces' keys.
func newServerSpec(ctx context.Context, dir, fakeURL, cpuProfile string) (*serverSpec, error) {
	bin, err := buildServer(ctx, dir, cpuProfile != "")
	if err != nil {
		return nil, err
	}
	sp := &serverSpec{bin: bin, fakeURL: fakeURL, quiet: workspace{name: "quiet"}, hostile: workspace{name: "hostile"}, cpuProfile: cpuProfile}
	for _, w := range []*workspace{&sp.quiet, &sp.hostile} {
		w.adminKey, w.builderKey = newKey(), newKey()
	}
	return sp, nil
}

// startServers starts a server process for each name, all on db (a SQLite
// file or a postgres:// URL) with more settings (NAME=value), and creates
// and authorizes each workspace's datasource through the first: once per
// database, since the others share it. Each of the others is checked to
// read through it, so a replica that does not see the database fails the
// start rather than the load.
func (sp *serverSpec) startServers(ctx context.Context, db string, more []string, names ...string) ([]*serverProc, error) {
	var servers []*serverProc
	fail := func(err error) ([]*serverProc, error) {
		for _, s := range servers {
			s.stop()
		}
		return nil, err
	}
	for _, name := range names {
		s, err := sp.startServer(ctx, name, db, sp.profile(name), more)
		if err != nil {
			return fail(err)
		}
		servers = append(servers, s)
	}
	first := servers[0]
	for _, w := range []*workspace{&first.quiet, &first.hostile} {
		var err error
		if w.datasource, err = first.authorize(*w); err != nil {
			return fail(fmt.Errorf("workspace %s: %w", w.name, err))
		}
	}
	for _, s := range servers[1:] {
		s.quiet, s.hostile = first.quiet, first.hostile
		if err := s.canRead(s.quiet); err != nil {
			return fail(fmt.Errorf("%s: %w", s.name, err))
		}
	}
	return servers, nil
}

// profile is where the server process named name writes its CPU profile,
// "" without -cpuprofile: "server" to the flag's file, as ever, and a
// replica beside it, its name added (f.replica1), so none overwrites
// another's.
func (sp *serverSpec) profile(name string) string {
	if sp.cpuProfile == "" || name == "server" {
		return sp.cpuProfile
	}
	return sp.cpuProfile + "." + strings.ReplaceAll(name, " ", "")
}

// startServer starts cmd/plugin-server with its defaults for everything
// but its address, database, API keys, LinkedIn's URLs and more, in an
// environment of nothing else, so no setting of the caller's leaks in.
// The database is in the environment, not the arguments, where a
// password in a DSN would show to anyone running ps. Its stderr, where it
// logs JSON lines as it does when it is not on a terminal, is a pipe this
// harness drains. Its workspaces have no datasource yet.
func (sp *serverSpec) startServer(ctx context.Context, name, db, cpuProfile string, more []string) (*serverProc, error) {
	var keys []string
	for _, w := range []workspace{sp.quiet, sp.hostile} {
		keys = append(keys, w.adminKey+":admin:"+w.name, w.builderKey+":builder:"+w.name)
	}
	env := append([]string{"PLUGIN_SERVER_API_KEYS=" + strings.Join(keys, ","), "PLUGIN_SERVER_DB=" + db}, more...)
	for k, v := range sandbox.Env(sp.fakeURL) {
		env = append(env, k+"="+v)
	}
	cmd := exec.CommandContext(ctx, sp.bin, "--addr", "127.0.0.1:0")
	cmd.Env = env
	dieWithParent(cmd)
	var stdin io.WriteCloser
	var err error
	if cpuProfile != "" {
		cmd.Env = append(cmd.Env, "PLUGIN_BENCH_CPUPROFILE="+cpuProfile)
		if stdin, err = cmd.StdinPipe(); err != nil {
			return nil, err
		}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &serverProc{process: &process{name: name, pids: []int{cmd.Process.Pid}}, quiet: sp.quiet, hostile: sp.hostile,
		cmd: cmd, stdin: stdin, log: newLogDrain(stderr), exited: make(chan struct{})}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		cmd.Process.Kill()
		<-s.log.done
		cmd.Wait()
		_, said := s.log.notableLines()
		return nil, fmt.Errorf("plugin-server (%s) did not start: %s", name, said)
	}
	base, ok := strings.CutPrefix(lines.Text(), "plugin-server listening on ")
	if !ok {
		s.stop()
		return nil, fmt.Errorf("plugin-server's (%s) first line: %q", name, lines.Text())
	}
	s.url = base
	go io.Copy(io.Discard, stdout)
	return s, nil
}

// profileOverlay is compiled into the server only with -cpuprofile (go
// build -overlay adds it to cmd/plugin-server without touching the tree):
// it profiles the whole process, and when the harness closes stdin it
// writes the profile and stops the server as SIGTERM does.
const profileOverlay = `package main

import (
	"io"
	"os"
	"runtime/pprof"
	"syscall"
)

func init() {
	f, err := os.Create(os.Getenv("PLUGIN_BENCH_CPUPROFILE"))
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		pprof.StopCPUProfile()
		f.Close()
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}()
}
`

// buildServer builds cmd/plugin-server into dir with the go command that
// runs this harness's module.
func buildServer(ctx context.Context, dir string, profile bool) (string, error) {
	bin := filepath.Join(dir, "plugin-server")
	args := []string{"build", "-o", bin}
	if profile {
		pkg, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Dir}}", "pluginserver/cmd/plugin-server").Output()
		if err != nil {
			return "", fmt.Errorf("go list: %w", err)
		}
		src := filepath.Join(dir, "profile.go")
		overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{
			filepath.Join(strings.TrimSpace(string(pkg)), "zz_plugin_bench_profile.go"): src}})
		if err := os.WriteFile(src, []byte(profileOverlay), 0o644); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o644); err != nil {
			return "", err
		}
		args = append(args, "-overlay", filepath.Join(dir, "overlay.json"))
	}
	build := exec.CommandContext(ctx, "go", append(args, "pluginserver/cmd/plugin-server")...)
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/plugin-server: %w\n%s", err, out)
	}
	return bin, nil
}

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// authorize creates a datasource in w and authorizes it as an admin does,
// then checks that w's builder can read through it.
func (s *serverProc) authorize(w workspace) (string, error) { return s.authorizeWith(w, `{}`) }

// authorizeWith creates a datasource of w with config and authorizes it.
func (s *serverProc) authorizeWith(w workspace, config string) (string, error) {
	call := func(path, body string, v any) error {
		r, _ := http.NewRequest("POST", s.url+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+w.adminKey)
		r.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return err
		}
		raw := readAll(resp)
		if resp.StatusCode >= 300 {
			return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, raw)
		}
		return json.Unmarshal(raw, v)
	}
	var ds struct{ ID string }
	if err := call("/v1/datasources", `{"plugin":"linkedin","name":"bench `+w.name+`","config":`+config+`}`, &ds); err != nil {
		return "", err
	}
	var auth struct{ AuthorizationURL string }
	if err := call("/v1/datasources/"+ds.ID+"/authorize", "", &auth); err != nil {
		return "", err
	}
	back, err := sandbox.Consent(http.DefaultTransport, auth.AuthorizationURL, true)
	if err != nil {
		return "", err
	}
	resp, err := http.Get(back.String())
	if err != nil {
		return "", err
	}
	readAll(resp)
	w.datasource = ds.ID
	if err := s.canRead(w); err != nil {
		return "", fmt.Errorf("after authorizing: %w", err)
	}
	return ds.ID, nil
}

// canRead checks that w's builder gets getUserInfo through w's datasource.
func (s *serverProc) canRead(w workspace) error {
	resp, err := http.DefaultClient.Do(s.execute(w, `{"command":"getUserInfo","params":{}}`))
	if err != nil {
		return err
	}
	if raw := readAll(resp); resp.StatusCode != 200 {
		return fmt.Errorf("getUserInfo: %d %s", resp.StatusCode, raw)
	}
	return nil
}

func readAll(resp *http.Response) []byte {
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return raw
}

// stop ends the server as an operator does, with SIGTERM, and waits for it
// to finish its calls and its log.
func (s *serverProc) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	defer close(s.exited)
	if s.stdin != nil {
		s.stdin.Close()
	} else {
		s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.log.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.log.done
	}
	s.cmd.Wait()
}

// logDrain reads the server's log as a log shipper would, as fast as it
// comes, and counts it.
type logDrain struct {
	lines, bytes, requestLines, dropped atomic.Int64
	done                                chan struct{}
	// keeping says a case wants the quiet workspace's executes: only
	// then is a request line decoded, so the harness's own bookkeeping
	// is not charged to every case's machine.
	keeping atomic.Bool

	mu sync.Mutex
	// quiet are the durations the server logged for the quiet
	// workspace's executes, in the order logged: what a quiet caller's
	// latency spent inside the server, beside what it spent on the way.
	quiet []loggedExecute
	// notable are the first lines at warn or above other than the
	// server's own start-up notices, for the report.
	notable      []string
	notableCount int
}

func newLogDrain(r io.Reader) *logDrain {
	d := &logDrain{done: make(chan struct{})}
	go func() {
		defer close(d.done)
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			line, err := br.ReadSlice('\n')
			if len(line) > 0 {
				d.take(line)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				return
			}
		}
	}()
	return d
}

func (d *logDrain) take(line []byte) {
	d.bytes.Add(int64(len(line)))
	if line[len(line)-1] != '\n' {
		return // the rest of a long line follows
	}
	d.lines.Add(1)
	if bytes.Contains(line, []byte(`"message":"request"`)) {
		d.requestLines.Add(1)
		if d.keeping.Load() && bytes.Contains(line, []byte(`"workspace":"quiet"`)) && bytes.Contains(line, []byte(`"command":`)) {
			var l struct{ Duration, Queued, LinkedIn float64 }
			if json.Unmarshal(line, &l) == nil {
				ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
				d.mu.Lock()
				d.quiet = append(d.quiet, loggedExecute{took: ms(l.Duration), queued: ms(l.Queued), linkedIn: ms(l.LinkedIn)})
				d.mu.Unlock()
			}
		}
		return
	}
	var l struct {
		Level   string
		Message string
		Dropped int64
	}
	if json.Unmarshal(line, &l) != nil {
		l.Level, l.Message = "?", string(bytes.TrimSpace(line))
	}
	d.dropped.Add(l.Dropped)
	if l.Level == "debug" || l.Level == "info" || strings.HasPrefix(l.Message, "no PLUGIN_SERVER_API_KEYS") {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.notableCount++
	if len(d.notable) < 5 {
		d.notable = append(d.notable, strings.TrimSpace(string(line)))
	}
}

// keepQuiet starts keeping the quiet workspace's executes as they are
// logged, and says how many were kept before.
func (d *logDrain) keepQuiet() int {
	d.keeping.Store(true)
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.quiet)
}

// loggedExecute is an execute as the server logged it: how long it took,
// how long of that it waited for a worker and its turns, and how long on
// LinkedIn.
type loggedExecute struct{ took, queued, linkedIn time.Duration }

// quietSince is what the quiet workspace's executes took in the server,
// as logged, after the first n of them; it stops keeping them.
func (d *logDrain) quietSince(n int) ([]loggedExecute, int) {
	d.keeping.Store(false)
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.quiet[min(n, len(d.quiet)):]), len(d.quiet)
}

// settle waits until the log has been quiet for a moment: the server
// writes its lines in batches, a little after the requests.
func (d *logDrain) settle() {
	last := d.lines.Load()
	for range 20 {
		time.Sleep(100 * time.Millisecond)
		n := d.lines.Load()
		if n == last {
			return
		}
		last = n
	}
}

// notableLines is how many lines were at warn or above, and the first.
func (d *logDrain) notableLines() (int, string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.notableCount, strings.Join(d.notable, "\n")
}

// child is this program run again in a role of its own: it says what it
// needs to say on its stdout and runs until its stdin closes.
type child struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	stdout *bufio.Reader
}

// startChild runs args and waits for the first line the child prints.
func startChild(args ...string) (*child, string, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	c := &child{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout)}
	line, err := c.stdout.ReadString('\n')
	if err != nil {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
		return nil, "", err
	}
	return c, strings.TrimSpace(line), nil
}

// referenceProc is the bare reverse proxy, in a process of its own.
type referenceProc struct {
	*process
	*child
	url string
}

// spawnReference runs this program again as the reference proxy and waits
// for its URL.
func spawnReference(fakeURL string) (*referenceProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c, url, err := startChild(self, "-reference-for", fakeURL)
	if err != nil {
		return nil, fmt.Errorf("the reference proxy did not start: %w", err)
	}
	return &referenceProc{process: &process{name: "reference", pids: []int{c.cmd.Process.Pid}}, child: c, url: url}, nil
}

func (r *referenceProc) stop() {
	r.stdin.Close()
	r.cmd.Wait()
}

// serveReference is the reference process: a bare reverse proxy to the
// fake with a token of its own, until its parent closes stdin (or dies).
func serveReference(fakeURL string, out io.Writer) error {
	token, err := fakeToken(fakeURL)
	if err != nil {
		return err
	}
	target, _ := url.Parse(fakeURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = transport()
	// A caller's hang-up is logged by default, a line per hang-up; the
	// server's log is measured, the reference's is not its point.
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	ln, base, err := listen()
	if err != nil {
		return err
	}
	srv := serveOn(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
		proxy.ServeHTTP(w, r)
	}))
	fmt.Fprintln(out, base)
	io.Copy(io.Discard, os.Stdin)
	return srv.Shutdown(context.Background())
}

// fakeToken gets a token from the fake the way the server gets its:
// consent, then the code exchanged.
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
	json.Unmarshal(readAll(resp), &tok)
	if tok.AccessToken == "" {
		return "", errors.New("the fake LinkedIn gave no token")
	}
	return tok.AccessToken, nil
}

func transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Every caller keeps its connection: a pool smaller than the callers
	// breaks connections mid-request under load.
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 2048, 2048
	// After a case of 1,000 callers, the reference proxy's pool held
	// hundreds of connections to the fake LinkedIn for Go's default 90 s,
	// each a goroutine and buffers of the fake's, in the harness that
	// measures the cases after. Closed from this side, once idle, none is
	// closed under a call, as the fake closing them was.
	t.IdleConnTimeout = 5 * time.Second
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
