package config_test

import (
	"io"
	"slices"
	"strings"
	"testing"

	ps "pluginserver"
	"pluginserver/internal/config"
)

func parse(t *testing.T, args []string, env map[string]string) (*config.Config, error) {
	t.Helper()
	return config.Parse(args, func(k string) string { return env[k] }, io.Discard)
}

func TestDefaults(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Resolve("127.0.0.1:8080")
	if c.Addr != "127.0.0.1:8080" || c.DB != "plugin-server.db" || c.Sandbox || c.PublicURL != "http://127.0.0.1:8080" ||
		c.Endpoints.TokenURL != config.LinkedInTokenURL || c.Endpoints.APIURL != config.LinkedInAPIURL ||
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

func TestAPIKeys(t *testing.T) {
	c, err := parse(t, nil, map[string]string{"PLUGIN_SERVER_API_KEYS": " k1:admin:acme , k2:builder:acme"})
	if err != nil {
		t.Fatal(err)
	}
	want := []config.APIKey{{Key: "k1", Caller: ps.Caller{Workspace: "acme", Role: ps.RoleAdmin}}, {Key: "k2", Caller: ps.Caller{Workspace: "acme", Role: ps.RoleBuilder}}}
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
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want int64
		bad  bool
	}{
		{"default", nil, nil, config.DefaultMemoryLimit, false},
		{"operator's GOMEMLIMIT", nil, map[string]string{"GOMEMLIMIT": "1GiB"}, 0, false},
		{"environment", nil, map[string]string{"PLUGIN_SERVER_MEMORY_LIMIT": "134217728"}, 128 << 20, false},
		{"flag", []string{"--memory-limit", "0"}, nil, 0, false},
		{"too small", nil, map[string]string{"PLUGIN_SERVER_MEMORY_LIMIT": "1000"}, 0, true},
		{"not a number", nil, map[string]string{"PLUGIN_SERVER_MEMORY_LIMIT": "48MiB"}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse(t, tc.args, tc.env)
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
