package config_test

import (
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	ps "pluginserver"
	"pluginserver/internal/config"
	"pluginserver/oauthbroker"
)

// linkedIn are the defaults cmd/plugin-server gives, written out so these
// tests depend on no plugin either.
func linkedIn() config.Defaults {
	return config.Defaults{
		Endpoints: oauthbroker.Endpoints{AuthURL: "https://www.linkedin.com/oauth/v2/authorization",
			TokenURL: "https://www.linkedin.com/oauth/v2/accessToken", RevokeURL: "https://www.linkedin.com/oauth/v2/revoke",
			APIURL: "https://api.linkedin.com"},
		UploadHosts:    []string{"api.linkedin.com", "www.linkedin.com"},
		SandboxClients: map[string]string{"sandbox-client": "sandbox-secret", "sandbox-partner": "sandbox-partner-secret"},
		SandboxClient:  "sandbox-client",
	}
}

func parse(t *testing.T, args []string, env map[string]string) (*config.Config, error) {
	t.Helper()
	return config.Parse(linkedIn(), args, func(k string) string { return env[k] }, io.Discard)
}

// The composition root tells config where a service lives and what the
// sandbox's apps are: config imports no plugin, directly or not.
func TestConfigImportsNoPlugin(t *testing.T) {
	forbidden := func(path string) bool { return strings.HasPrefix(path, "pluginserver/plugin/") }
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); forbidden(path) {
				t.Errorf("%s imports %s: pass what config needs of a plugin in config.Defaults", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source files found")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Logf("no go tool to list indirect imports: %v", err)
		return
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, path := range strings.Fields(string(out)) {
		if forbidden(path) {
			t.Errorf("internal/config depends on %s", path)
		}
	}
}

func TestDefaultsComeFromTheCaller(t *testing.T) {
	d := config.Defaults{
		Endpoints:   oauthbroker.Endpoints{AuthURL: "https://id.example.com/auth", TokenURL: "https://id.example.com/token", APIURL: "https://API.example.com"},
		UploadHosts: []string{"api.example.com", "files.example.com"},
		SandboxClients: map[string]string{"sandbox-client": "sandbox-secret", "sandbox-partner": "sandbox-partner-secret",
			"sandbox-community": "sandbox-community-secret"},
		SandboxClient: "sandbox-community",
	}
	parseWith := func(d config.Defaults, args []string, env map[string]string) (*config.Config, error) {
		return config.Parse(d, args, func(k string) string { return env[k] }, io.Discard)
	}
	c, err := parseWith(d, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Resolve("127.0.0.1:8080")
	if c.Endpoints != d.Endpoints || !slices.Equal(c.UploadHosts, []string{"api.example.com", "files.example.com"}) {
		t.Fatalf("%+v %v", c.Endpoints, c.UploadHosts)
	}
	// The API's host follows LINKEDIN_API_URL; the others stay.
	c, err = parseWith(d, nil, map[string]string{"LINKEDIN_API_URL": "http://127.0.0.1:9/api"})
	if err != nil {
		t.Fatal(err)
	}
	c.Resolve("127.0.0.1:8080")
	if !slices.Equal(c.UploadHosts, []string{"127.0.0.1:9", "files.example.com"}) {
		t.Fatalf("%v", c.UploadHosts)
	}
	// A third sandbox app is one more entry, and the default one is used.
	c, err = parseWith(d, []string{"--sandbox"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Resolve("127.0.0.1:8080")
	if c.App != (oauthbroker.App{ClientID: "sandbox-community", ClientSecret: "sandbox-community-secret"}) {
		t.Fatalf("%+v", c.App)
	}
	if _, err := parseWith(d, []string{"--sandbox"}, map[string]string{"LINKEDIN_CLIENT_ID": "sandbox-community", "LINKEDIN_CLIENT_SECRET": "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := parseWith(d, []string{"--sandbox"}, map[string]string{"LINKEDIN_CLIENT_ID": "86abcdefgh1234", "LINKEDIN_CLIENT_SECRET": "x"}); err == nil ||
		!strings.Contains(err.Error(), `PLUGIN_SERVER_SANDBOX (--sandbox) with LINKEDIN_CLIENT_ID "86abcdefgh1234", a real LinkedIn app`) {
		t.Fatalf("%v", err)
	}
	// No defaults: the URLs must be given, and there is no sandbox app.
	_, err = parseWith(config.Defaults{}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "LINKEDIN_AUTH_URL: must be set") || !strings.Contains(err.Error(), "LINKEDIN_API_URL: must be set") {
		t.Fatalf("%v", err)
	}
	if _, err := parseWith(config.Defaults{}, nil, map[string]string{"LINKEDIN_AUTH_URL": "http://a.test/auth", "LINKEDIN_TOKEN_URL": "http://a.test/token",
		"LINKEDIN_API_URL": "http://a.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err = parseWith(config.Defaults{}, []string{"--sandbox"}, nil); err == nil || !strings.Contains(err.Error(), "no emulated app") {
		t.Fatalf("%v", err)
	}
}

func TestDefaults(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Resolve("127.0.0.1:8080")
	if c.Addr != "127.0.0.1:8080" || c.DB != "plugin-server.db" || c.Sandbox || c.PublicURL != "http://127.0.0.1:8080" ||
		c.Endpoints != linkedIn().Endpoints ||
		!slices.Equal(c.UploadHosts, []string{"api.linkedin.com", "www.linkedin.com"}) || c.RedirectURL() != "http://127.0.0.1:8080/oauth/callback" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	env := map[string]string{"PLUGIN_SERVER_ADDR": "127.0.0.1:9000", "PLUGIN_SERVER_DB": "env.db", "LOG_LEVEL": "warn", "PLUGIN_SERVER_SANDBOX": "1"}
	c, err := parse(t, []string{"--addr", "127.0.0.1:9100", "--log-level", "debug"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9100" || c.DB != "env.db" || c.LogLevel.String() != "debug" || !c.Sandbox {
		t.Fatalf("%+v", c)
	}
	if c, _ := parse(t, []string{"--sandbox=false"}, env); c.Sandbox {
		t.Fatal("--sandbox=false did not override PLUGIN_SERVER_SANDBOX=1")
	}
}

func TestSandboxPointsLinkedInAtTheEmulator(t *testing.T) {
	c, err := parse(t, []string{"--sandbox", "--addr", "127.0.0.1:0"}, map[string]string{"LINKEDIN_REVOKE_URL": "http://127.0.0.1:1/revoke"})
	if err != nil {
		t.Fatal(err)
	}
	c.Resolve("127.0.0.1:43210")
	base := "http://127.0.0.1:43210/sandbox"
	if c.Endpoints.AuthURL != base+"/oauth/v2/authorization" || c.Endpoints.APIURL != base || c.Endpoints.RevokeURL != "http://127.0.0.1:1/revoke" ||
		c.App.ClientID != "sandbox-client" || !slices.Contains(c.UploadHosts, "127.0.0.1:43210") {
		t.Fatalf("%+v", c)
	}
}

const (
	key1 = "k1-0123456789abcdef"
	key2 = "k2-0123456789abcdef"
)

func TestAPIKeys(t *testing.T) {
	c, err := parse(t, nil, map[string]string{"PLUGIN_SERVER_API_KEYS": " " + key1 + ":admin:acme , " + key2 + ":builder:acme"})
	if err != nil {
		t.Fatal(err)
	}
	want := []config.APIKey{{Key: key1, Caller: ps.Caller{Workspace: "acme", Role: ps.RoleAdmin}}, {Key: key2, Caller: ps.Caller{Workspace: "acme", Role: ps.RoleBuilder}}}
	if !slices.Equal(c.APIKeys, want) {
		t.Fatalf("keys %+v", c.APIKeys)
	}
}

func TestEveryProblemAtOnceWithoutSecrets(t *testing.T) {
	_, err := parse(t, []string{"--addr", "0.0.0.0:8080"}, map[string]string{
		"PLUGIN_SERVER_API_KEYS":       "supersecretkey:owner:acme,nocolons",
		"PLUGIN_SERVER_PUBLIC_URL":     "ftp://x",
		"PLUGIN_SERVER_SECRET_KEY":     "not base64!",
		"PLUGIN_SERVER_RETURN_ORIGINS": "https://ok.example,https://app.example/path",
		"LINKEDIN_CLIENT_ID":           "only-id",
		"LINKEDIN_TOKEN_URL":           "not a url",
		"LOG_FORMAT":                   "xml",
	})
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{"entry 1: role", "entry 2: must be KEY:ROLE:WORKSPACE", "PLUGIN_SERVER_PUBLIC_URL", "PLUGIN_SERVER_SECRET_KEY",
		"https://app.example/path", "LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET", "LINKEDIN_TOKEN_URL", "LOG_FORMAT"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "supersecretkey") {
		t.Errorf("the error shows an API key:\n%s", msg)
	}
}

func TestMemoryLimit(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		name      string
		available int64 // what the machine or container gives
		args      []string
		env       map[string]string
		want      int64
		bad       bool
	}{
		// The default body memory is 64 MiB: the budget is 2×64+32 MiB.
		{"a machine with memory to spare", 24 * gib, nil, nil, 160 << 20, false},
		{"a small container", 150 << 20, nil, nil, 135 << 20, false},
		{"nothing known", 0, nil, nil, 160 << 20, false},
		{"more body memory", 24 * gib, nil, map[string]string{"PLUGIN_SERVER_BODY_MEMORY": "134217728"}, 288 << 20, false},
		{"derived on purpose", 24 * gib, []string{"--memory-limit", "-1"}, nil, 160 << 20, false},
		{"operator's GOMEMLIMIT", 2 * gib, nil, map[string]string{"GOMEMLIMIT": "1GiB"}, 0, false},
		{"environment", 2 * gib, nil, map[string]string{"PLUGIN_SERVER_MEMORY_LIMIT": "134217728"}, 128 << 20, false},
		{"flag", 2 * gib, []string{"--memory-limit", "0"}, nil, 0, false},
		{"too small", 2 * gib, nil, map[string]string{"PLUGIN_SERVER_MEMORY_LIMIT": "1000"}, 0, true},
		{"not a number", 2 * gib, nil, map[string]string{"PLUGIN_SERVER_MEMORY_LIMIT": "48MiB"}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := linkedIn()
			d.MemoryAvailable = tc.available
			c, err := config.Parse(d, tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.bad {
				if err == nil || !strings.Contains(err.Error(), "PLUGIN_SERVER_MEMORY_LIMIT") {
					t.Fatalf("err = %v, want one naming PLUGIN_SERVER_MEMORY_LIMIT", err)
				}
				return
			}
			if err != nil || c.MemoryLimit != tc.want {
				t.Fatalf("limit %v, %v; want %d", c, err, tc.want)
			}
		})
	}
}

// TestMistakesRefused: each setting that is wrong only in combination, or
// only on a closer look, is refused with a message naming the setting, and
// the working neighbour of each mistake is accepted.
func TestMistakesRefused(t *testing.T) {
	keys := key1 + ":admin:acme"
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string // in the error; none: accepted
	}{
		{"key listed twice", nil, map[string]string{"PLUGIN_SERVER_API_KEYS": key1 + ":admin:acme," + key2 + ":builder:acme," + key1 + ":builder:other"},
			[]string{"PLUGIN_SERVER_API_KEYS entry 3: the same key as entry 1"}},
		{"key listed twice, same role", nil, map[string]string{"PLUGIN_SERVER_API_KEYS": key1 + ":admin:acme," + key1 + ":admin:acme"},
			[]string{"PLUGIN_SERVER_API_KEYS entry 2: the same key as entry 1"}},
		{"short key", nil, map[string]string{"PLUGIN_SERVER_API_KEYS": key1 + ":admin:acme,fifteen-chars-x:builder:acme"},
			[]string{"PLUGIN_SERVER_API_KEYS entry 2: the key must be at least 16 characters"}},
		{"16 characters", nil, map[string]string{"PLUGIN_SERVER_API_KEYS": "sixteen-chars-xx:admin:acme"}, nil},
		{"16 characters, not bytes", nil, map[string]string{"PLUGIN_SERVER_API_KEYS": "ééééééééééééééé:admin:acme"},
			[]string{"PLUGIN_SERVER_API_KEYS entry 1: the key must be at least 16"}},

		{"sandbox with a real client id", []string{"--sandbox"}, map[string]string{"LINKEDIN_CLIENT_ID": "86abcdefgh1234", "LINKEDIN_CLIENT_SECRET": "s3cr3t"},
			[]string{"PLUGIN_SERVER_SANDBOX (--sandbox) with LINKEDIN_CLIENT_ID \"86abcdefgh1234\"", "drop --sandbox", "drop LINKEDIN_CLIENT_ID"}},
		{"sandbox from the environment with a real client id", nil, map[string]string{"PLUGIN_SERVER_SANDBOX": "1", "LINKEDIN_CLIENT_ID": "86abcdefgh1234", "LINKEDIN_CLIENT_SECRET": "s3cr3t"},
			[]string{"PLUGIN_SERVER_SANDBOX (--sandbox) with LINKEDIN_CLIENT_ID"}},
		{"sandbox with its own client id", []string{"--sandbox"}, map[string]string{"LINKEDIN_CLIENT_ID": "sandbox-client", "LINKEDIN_CLIENT_SECRET": "sandbox-secret"}, nil},
		{"sandbox with its partner client id", []string{"--sandbox"}, map[string]string{"LINKEDIN_CLIENT_ID": "sandbox-partner", "LINKEDIN_CLIENT_SECRET": "sandbox-partner-secret"}, nil},
		{"real client id without sandbox", nil, map[string]string{"LINKEDIN_CLIENT_ID": "86abcdefgh1234", "LINKEDIN_CLIENT_SECRET": "s3cr3t"}, nil},

		{"sandbox on a public URL", []string{"--sandbox"}, map[string]string{"PLUGIN_SERVER_API_KEYS": keys, "PLUGIN_SERVER_PUBLIC_URL": "https://plugins.example.com"},
			[]string{"PLUGIN_SERVER_SANDBOX (--sandbox) on \"plugins.example.com\"", "--sandbox-public"}},
		{"sandbox listening on every address", []string{"--sandbox", "--addr", "0.0.0.0:8080"}, map[string]string{"PLUGIN_SERVER_API_KEYS": keys},
			[]string{"PLUGIN_SERVER_SANDBOX (--sandbox) on \"0.0.0.0:8080\""}},
		{"sandbox on a public URL with --sandbox-public", []string{"--sandbox", "--sandbox-public"}, map[string]string{"PLUGIN_SERVER_API_KEYS": keys, "PLUGIN_SERVER_PUBLIC_URL": "https://plugins.example.com"}, nil},
		{"sandbox on a public URL with PLUGIN_SERVER_SANDBOX_PUBLIC", []string{"--addr", "0.0.0.0:8080"}, map[string]string{"PLUGIN_SERVER_API_KEYS": keys, "PLUGIN_SERVER_SANDBOX": "1", "PLUGIN_SERVER_SANDBOX_PUBLIC": "1"}, nil},
		{"--sandbox-public=false wins over the environment", []string{"--sandbox", "--sandbox-public=false"}, map[string]string{"PLUGIN_SERVER_API_KEYS": keys, "PLUGIN_SERVER_PUBLIC_URL": "https://plugins.example.com", "PLUGIN_SERVER_SANDBOX_PUBLIC": "1"},
			[]string{"--sandbox-public"}},
		{"sandbox behind a loopback public URL", []string{"--sandbox"}, map[string]string{"PLUGIN_SERVER_PUBLIC_URL": "http://localhost:8080"}, nil},
		{"sandbox behind a .localhost public URL", []string{"--sandbox"}, map[string]string{"PLUGIN_SERVER_PUBLIC_URL": "http://plugins.localhost:8080"}, nil},
		{"sandbox on IPv6 loopback", []string{"--sandbox", "--addr", "[::1]:0"}, nil, nil},

		{"no keys with a public URL", nil, map[string]string{"PLUGIN_SERVER_PUBLIC_URL": "https://plugins.example.com"},
			[]string{"PLUGIN_SERVER_PUBLIC_URL \"https://plugins.example.com\": without PLUGIN_SERVER_API_KEYS"}},
		{"keys with a public URL", nil, map[string]string{"PLUGIN_SERVER_API_KEYS": keys, "PLUGIN_SERVER_PUBLIC_URL": "https://plugins.example.com"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.args, tc.env)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			for _, secret := range []string{key1, "fifteen-chars-x", "s3cr3t"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a secret:\n%v", err)
				}
			}
		})
	}
}

func TestCORSOrigins(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		want      []string
		bad       []string // quoted in the error
	}{
		{"none", "", nil, nil},
		{"several", " https://builder.example.com , http://localhost:3000", []string{"https://builder.example.com", "http://localhost:3000"}, nil},
		{"as browsers send them", "HTTPS://Builder.Example.com:443/,http://app.example:80", []string{"https://builder.example.com", "http://app.example"}, nil},
		{"listed twice", "https://a.example,https://a.example/", []string{"https://a.example"}, nil},
		{"other port kept", "https://a.example:8443", []string{"https://a.example:8443"}, nil},
		{"wildcard", "*", nil, []string{`"*"`}},
		{"null", "null", nil, []string{`"null"`}},
		{"path", "https://a.example/app", nil, []string{`"https://a.example/app"`}},
		{"query", "https://a.example?x=1", nil, []string{`"https://a.example?x=1"`}},
		{"no scheme", "a.example", nil, []string{`"a.example"`}},
		{"other scheme", "ftp://a.example", nil, []string{`"ftp://a.example"`}},
		{"userinfo", "https://u@a.example", nil, []string{`"https://u@a.example"`}},
		{"every problem", "*,https://ok.example,https://a.example/x", nil, []string{`"*"`, `"https://a.example/x"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse(t, nil, map[string]string{"PLUGIN_SERVER_CORS_ORIGINS": tc.env})
			if len(tc.bad) > 0 {
				if err == nil {
					t.Fatal("accepted")
				}
				for _, b := range tc.bad {
					if !strings.Contains(err.Error(), "PLUGIN_SERVER_CORS_ORIGINS "+b) {
						t.Errorf("error lacks %s:\n%v", b, err)
					}
				}
				return
			}
			if err != nil || !slices.Equal(c.CORSOrigins, tc.want) {
				t.Fatalf("origins %v, %v; want %v", c, err, tc.want)
			}
		})
	}
}

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:8080": true, "LocalHost.:8080": true, "app.localhost": true, "a.b.localhost:1": true,
		"127.0.0.1": true, "127.0.0.1:8080": true, "127.9.8.7:1": true, "[::1]": true, "[::1]:8080": true, "::1": true,
		"[::ffff:127.0.0.1]:80": true, "example.com": false, "localhost.example.com": false, "evil-localhost": false, "": false,
		"attacker.test:8080": false, "0.0.0.0:8080": false, "10.0.0.1": false, "[::]:8080": false, "127.1": false,
		"192.168.1.10:8080": false, "[fe80::1]:80": false,
	} {
		if got := config.LoopbackHost(host); got != want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// The metrics settings are off unless set, and only true or false.
func TestMetricsSettings(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil || c.MetricsWorkspaces || c.MetricsPublic {
		t.Fatalf("defaults: %v %+v", err, c)
	}
	c, err = parse(t, nil, map[string]string{"PLUGIN_SERVER_METRICS_WORKSPACES": "true", "PLUGIN_SERVER_METRICS_PUBLIC": "1"})
	if err != nil || !c.MetricsWorkspaces || !c.MetricsPublic {
		t.Fatalf("set: %v %+v", err, c)
	}
	_, err = parse(t, nil, map[string]string{"PLUGIN_SERVER_METRICS_WORKSPACES": "yes", "PLUGIN_SERVER_METRICS_PUBLIC": "on"})
	if err == nil || !strings.Contains(err.Error(), `PLUGIN_SERVER_METRICS_WORKSPACES "yes": must be true or false`) || !strings.Contains(err.Error(), "PLUGIN_SERVER_METRICS_PUBLIC") {
		t.Fatalf("nonsense accepted: %v", err)
	}
}
