package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// consoleShots is where TestConsoleInBrowser writes its screenshots, to be
// looked at after a run (git-ignored); PLUGIN_SERVER_CONSOLE_SHOTS names
// another folder.
const consoleShots = "testdata/console-shots"

// TestConsoleInBrowser drives the web console at / in Debian's Chromium
// with playwright-core (web/tests/console.mjs) against a server process in
// sandbox mode: a wrong key, creating a datasource, authorizing it through
// the sandbox's consent page in a new tab, getUserInfo and createPost from
// their forms, the server's field error for empty text, the media flow
// with its progress bar and again after Post another, the datasource list,
// a command's form and result and the media flow at 390 px and 1280 px
// wide with no sideways scroll and no button cut off (a datasource's
// buttons on one line at 1280 px), and every command's form and the datasource form
// rendered by RJSF with no console error and no unsupported field, every
// command's example filled and run as a dry run with no invalid_input
// (createPost's as the authorized member, and uploadMedia's with the
// upload URL of Register Media Upload, also run for real), and the consent
// tab ending on a small page ("Authorized. You can close this tab.")
// that closes itself; then,
// on the sandbox's Community Management app, posting as a page chosen in
// the author dropdown, a page's follower statistics drawn as a chart, and
// a refused scope told to the admin. Links forged
// to look like LinkedIn's return (?status=error&error=…&message=…) show
// none of their free text, before the key or after: only the fixed text of
// a known code, and what the server says of the datasource.
// .ci/run installs chromium and web/node_modules; elsewhere the test
// fails naming what is missing, unless PLUGIN_SERVER_SKIP_BROWSER is set.
func TestConsoleInBrowser(t *testing.T) {
	web, err := filepath.Abs("../../web")
	if err != nil {
		t.Fatal(err)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium, _ = exec.LookPath("chromium")
	}
	node, _ := exec.LookPath("node")
	missing := ""
	switch {
	case chromium == "":
		missing = "chromium (apt-get install chromium)"
	case node == "":
		missing = "node"
	default:
		if _, err := os.Stat(filepath.Join(web, "node_modules", "playwright-core")); err != nil {
			missing = "web/node_modules (cd web && npm ci)"
		}
	}
	if missing != "" {
		// Never skipped unasked: make test installs web/node_modules, and
		// whoever cannot run a browser says so.
		if os.Getenv("PLUGIN_SERVER_SKIP_BROWSER") != "" {
			t.Skipf("PLUGIN_SERVER_SKIP_BROWSER is set; the console's browser test needs %s", missing)
		}
		t.Fatalf("the console's browser test needs %s (.ci/run installs it; PLUGIN_SERVER_SKIP_BROWSER=1 skips it on purpose)", missing)
	}

	out := os.Getenv("PLUGIN_SERVER_CONSOLE_SHOTS")
	if out == "" {
		out = consoleShots
	}
	if out, err = filepath.Abs(out); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(out)
	t.Logf("screenshots in %s", out)

	// The server takes its own origin as a returnUrl, so LinkedIn sends
	// the tab back to the console: the whole walk-through.
	t.Run("return to the console", func(t *testing.T) {
		shots, forms := runConsole(t, web, node, chromium, filepath.Join(out, "return-to-console"), "console")
		if shots < 15 || forms < 20 {
			t.Errorf("%d screenshots of steps and %d of forms", shots, forms)
		}
	})
	// A console loaded from another origin than the server's public URL
	// may not be returned to: the server's own page ends the dance and the
	// console sees the change by polling.
	t.Run("return to the server's page", func(t *testing.T) {
		if shots, _ := runConsole(t, web, node, chromium, filepath.Join(out, "return-to-server"), "server"); shots < 6 {
			t.Errorf("%d screenshots of steps", shots)
		}
	})
	// A datasource on the sandbox's Community Management app
	// (sandbox-community): the author dropdown lists the member's pages
	// with their roles, sharePost posts as one, getPost reads it back,
	// getFollowerStatistics of the page from its picker over the last 30
	// days draws a line per series with a point per day, a legend and the
	// rows as a table, at 390 px and 1280 px with no sideways scroll; a
	// datasource that also asks for openid shows a warning in its row and
	// comes back from Authorize with LinkedIn's refusal, told to the admin.
	t.Run("a community management app", func(t *testing.T) {
		if shots, _ := runConsole(t, web, node, chromium, filepath.Join(out, "community-app"), "console", "APP_KIND=community"); shots < 12 {
			t.Errorf("%d screenshots of steps", shots)
		}
	})
}

// runConsole starts a server in sandbox mode and runs web/tests/console.mjs
// against it; returnTo is "console" when the console is loaded from the
// server's public URL, whose origin the server accepts as a returnUrl, and
// "server" when it is loaded from another (127.0.0.1 against localhost);
// extraEnv goes to console.mjs (APP_KIND=community). It returns how many
// screenshots of steps and of forms were written to out.
func runConsole(t *testing.T, web, node, chromium, out, returnTo string, extraEnv ...string) (shots, forms int) {
	// A port chosen before the server starts, to name its origin.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := []string{
		"PLUGIN_SERVER_SANDBOX=1",
		"PLUGIN_SERVER_API_KEYS=" + adminKey + ":admin:acme," + builderKey + ":builder:acme," + otherKey + ":admin:other",
		"PLUGIN_SERVER_RETURN_ORIGINS=",
		"LOG_LEVEL=error",
	}
	if returnTo == "server" {
		_, port, _ := net.SplitHostPort(addr)
		env = append(env, "PLUGIN_SERVER_PUBLIC_URL=http://localhost:"+port)
	}
	s, _ := startProcessAt(t, env, filepath.Join(t.TempDir(), "plugin-server.db"), addr)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "tests/console.mjs")
	cmd.Dir = web
	cmd.Env = append(os.Environ(), "CONSOLE_URL="+s.url, "ADMIN_KEY="+adminKey, "BUILDER_KEY="+builderKey,
		"OUT_DIR="+out, "CHROMIUM="+chromium, "RETURN_TO="+returnTo)
	cmd.Env = append(cmd.Env, extraEnv...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var failed []string
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line := lines.Text()
		t.Log(line)
		if f, ok := strings.CutPrefix(line, "failed: "); ok {
			failed = append(failed, f)
		}
	}
	err = cmd.Wait()
	for _, f := range failed {
		t.Errorf("in the browser: %s", f)
	}
	if err != nil && len(failed) == 0 {
		t.Fatalf("node tests/console.mjs: %v", err)
	}
	steps, _ := filepath.Glob(filepath.Join(out, "*.png"))
	formShots, _ := filepath.Glob(filepath.Join(out, "forms", "*.png"))
	return len(steps), len(formShots)
}

// TestConsoleKnowsEveryCallbackReason: the console tells how an
// authorization ended from the reason code of the address it was sent
// back to, through a fixed table (web/src/AuthReturn.tsx), never from the
// address's message, which anyone can write. Every code the callback sends
// (oauthbroker/broker.go) has its text there; one missing would be shown
// as an unknown reason.
func TestConsoleKnowsEveryCallbackReason(t *testing.T) {
	broker, err := os.ReadFile("../../oauthbroker/broker.go")
	if err != nil {
		t.Fatal(err)
	}
	console, err := os.ReadFile("../../web/src/AuthReturn.tsx")
	if err != nil {
		t.Fatal(err)
	}
	// block is the text of src from the line starting with start to the
	// first line after it that starts with end.
	block := func(src []byte, start, end string) string {
		s := string(src)
		i := strings.Index(s, start)
		if i < 0 {
			t.Fatalf("no %q", start)
		}
		j := strings.Index(s[i:], end)
		if j < 0 {
			t.Fatalf("no %q after %q", end, start)
		}
		return s[i : i+j]
	}
	var codes []string
	add := func(re, src string) {
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(src, -1) {
			if !slices.Contains(codes, m[1]) {
				codes = append(codes, m[1])
			}
		}
	}
	add(`fail\("([a-z_]+)"`, string(broker))
	add(`Error: "([a-z_]+)"`, string(broker))
	add(`"([a-z_]+)":`, block(broker, "var linkedInRefusals", "\n}\n"))
	if len(codes) < 10 {
		t.Fatalf("only %v found in oauthbroker/broker.go: the patterns no longer match it", codes)
	}
	table := block(console, "const reasons = {", "} as const")
	for _, c := range codes {
		if !regexp.MustCompile(`\n\s*` + c + `:`).MatchString(table) {
			t.Errorf("the callback sends reason %s, which the console's table (web/src/AuthReturn.tsx) does not know", c)
		}
	}
	t.Logf("%d reasons: %s", len(codes), strings.Join(codes, " "))
	// The console reads no message from its address.
	sources, _ := filepath.Glob("../../web/src/*.ts*")
	for _, f := range sources {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile("\\.get\\(\\s*[\"'`]message").Match(b) {
			t.Errorf("%s reads a message from a query", f)
		}
	}
}

// TestConsoleHasNoImportCircle: no module of web/src imports another that
// imports it back, directly or through others (web/tests/cycles.mjs, which
// needs only node); App.tsx and Workspace.tsx share what both need through
// session.ts.
func TestConsoleHasNoImportCircle(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("PLUGIN_SERVER_SKIP_BROWSER") != "" {
			t.Skip("PLUGIN_SERVER_SKIP_BROWSER is set and there is no node")
		}
		t.Fatal("the console's import check needs node")
	}
	out, err := exec.Command(node, "../../web/tests/cycles.mjs", "../../web/src").CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("web/src has an import circle: %v", err)
	}
}
