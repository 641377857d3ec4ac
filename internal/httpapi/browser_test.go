package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGuardBrowsers(t *testing.T) {
	const (
		builder = "https://builder.example.com"
		evil    = "https://evil.example"
		local   = "http://127.0.0.1:8080"
	)
	cors := []string{builder, "http://localhost:3000"}
	preflight := map[string]string{"Origin": builder, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
	type want struct {
		status int
		served bool   // reached the routes
		field  string // the header an error names
		acao   string // Access-Control-Allow-Origin
	}
	served := want{status: 200, served: true}
	for _, tc := range []struct {
		name      string
		anonymous bool
		cors      []string
		method    string
		host      string
		path      string
		headers   map[string]string
		want      want
	}{
		// Host, without keys.
		{"anonymous 127.0.0.1", true, nil, "GET", "127.0.0.1:8080", "/v1/datasources", nil, served},
		{"anonymous localhost", true, nil, "GET", "localhost:8080", "/v1/datasources", nil, served},
		{"anonymous *.localhost", true, nil, "GET", "app.localhost:8080", "/v1/datasources", nil, served},
		{"anonymous [::1]", true, nil, "GET", "[::1]:8080", "/v1/datasources", nil, served},
		{"anonymous 127.0.0.2 without port", true, nil, "GET", "127.0.0.2", "/healthz", nil, served},
		{"anonymous rebound name", true, nil, "GET", "attacker.test:8080", "/v1/datasources", nil, want{status: 403, field: "Host"}},
		{"anonymous localhost look-alike", true, nil, "GET", "localhost.attacker.test", "/healthz", nil, want{status: 403, field: "Host"}},
		{"anonymous LAN address", true, nil, "GET", "192.168.1.10:8080", "/healthz", nil, want{status: 403, field: "Host"}},
		{"anonymous 0.0.0.0", true, nil, "GET", "0.0.0.0:8080", "/healthz", nil, want{status: 403, field: "Host"}},
		{"anonymous no Host", true, nil, "GET", "", "/healthz", nil, want{status: 403, field: "Host"}},
		{"anonymous rebound callback", true, nil, "GET", "attacker.test", "/oauth/callback", nil, want{status: 403, field: "Host"}},
		{"anonymous rebound preflight", true, cors, "OPTIONS", "attacker.test", "/v1/datasources", preflight, want{status: 403, field: "Host"}},
		{"keys: any Host", false, nil, "GET", "plugins.example.com", "/v1/datasources", nil, served},

		// Origin and Sec-Fetch-Site, without keys.
		{"anonymous curl", true, nil, "POST", "127.0.0.1:8080", "/v1/datasources", nil, served},
		{"anonymous same origin", true, nil, "POST", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Origin": local, "Sec-Fetch-Site": "same-origin"}, served},
		{"anonymous same origin, other case", true, nil, "POST", "LOCALHOST:8080", "/v1/datasources", map[string]string{"Origin": "http://localhost:8080"}, served},
		{"anonymous cross-site text/plain POST", true, nil, "POST", "127.0.0.1:8080", "/v1/datasources",
			map[string]string{"Origin": evil, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}, want{status: 403, field: "Origin"}},
		{"anonymous other port is another origin", true, nil, "POST", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Origin": "http://127.0.0.1:3000", "Sec-Fetch-Site": "same-site"}, want{status: 403, field: "Origin"}},
		{"anonymous https is another origin", true, nil, "GET", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Origin": "https://127.0.0.1:8080"}, want{status: 403, field: "Origin"}},
		{"anonymous opaque origin", true, nil, "POST", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Origin": "null"}, want{status: 403, field: "Origin"}},
		{"anonymous cross-site GET", true, nil, "GET", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Origin": evil}, want{status: 403, field: "Origin"}},
		{"anonymous cross-site without Origin", true, nil, "GET", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Sec-Fetch-Site": "cross-site"}, want{status: 403, field: "Sec-Fetch-Site"}},
		{"anonymous cross-site, own Origin", true, nil, "POST", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Origin": local, "Sec-Fetch-Site": "Cross-Site"}, want{status: 403, field: "Sec-Fetch-Site"}},
		{"anonymous same-site navigation", true, nil, "GET", "127.0.0.1:8080", "/openapi.json", map[string]string{"Sec-Fetch-Site": "same-site"}, served},
		{"anonymous typed URL", true, nil, "GET", "127.0.0.1:8080", "/openapi.json", map[string]string{"Sec-Fetch-Site": "none"}, served},
		{"anonymous cross-site to health", true, nil, "GET", "127.0.0.1:8080", "/healthz", map[string]string{"Sec-Fetch-Site": "cross-site"}, want{status: 403, field: "Sec-Fetch-Site"}},
		{"anonymous cross-site from an allowed origin", true, cors, "POST", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Origin": builder, "Sec-Fetch-Site": "cross-site"}, want{status: 200, served: true, acao: builder}},
		{"anonymous cross-site from another origin with CORS on", true, cors, "POST", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Origin": evil, "Sec-Fetch-Site": "cross-site"}, want{status: 403, field: "Origin"}},

		// The navigations OAuth needs, without keys.
		{"anonymous callback from LinkedIn", true, nil, "GET", "127.0.0.1:8080", "/oauth/callback", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}, served},
		{"anonymous consent page from a builder", true, nil, "GET", "127.0.0.1:8080", "/sandbox/oauth/v2/authorization", map[string]string{"Sec-Fetch-Site": "cross-site"}, served},
		{"anonymous consent form to itself", true, nil, "POST", "127.0.0.1:8080", "/sandbox/oauth/v2/authorization", map[string]string{"Origin": local, "Sec-Fetch-Site": "same-origin"}, served},
		{"anonymous consent form from another site", true, nil, "POST", "127.0.0.1:8080", "/sandbox/oauth/v2/authorization", map[string]string{"Origin": evil, "Sec-Fetch-Site": "cross-site"}, want{status: 403, field: "Origin"}},
		{"anonymous cross-site POST to the callback", true, nil, "POST", "127.0.0.1:8080", "/oauth/callback", map[string]string{"Origin": evil}, want{status: 403, field: "Origin"}},
		{"anonymous cross-site to the emulator's API", true, nil, "GET", "127.0.0.1:8080", "/sandbox/v2/userinfo", map[string]string{"Sec-Fetch-Site": "cross-site"}, want{status: 403, field: "Sec-Fetch-Site"}},

		// With keys, only CORS.
		{"keys: cross-site POST", false, nil, "POST", "127.0.0.1:8080", "/v1/datasources", map[string]string{"Origin": evil, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}, served},
		{"keys: preflight allowed", false, cors, "OPTIONS", "plugins.example.com", "/v1/datasources/ds_1/execute", preflight, want{status: 204, acao: builder}},
		{"keys: preflight from the second allowed origin", false, cors, "OPTIONS", "plugins.example.com", "/v1/plugins",
			map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"}, want{status: 204, acao: "http://localhost:3000"}},
		{"keys: preflight from another origin", false, cors, "OPTIONS", "plugins.example.com", "/v1/plugins", map[string]string{"Origin": evil, "Access-Control-Request-Method": "GET"}, want{status: 403, field: "Origin"}},
		{"keys: preflight without CORS", false, nil, "OPTIONS", "plugins.example.com", "/v1/plugins", preflight, want{status: 403, field: "Origin"}},
		{"keys: preflight from a path of an allowed origin", false, cors, "OPTIONS", "plugins.example.com", "/v1/plugins", map[string]string{"Origin": builder + "/x", "Access-Control-Request-Method": "GET"}, want{status: 403, field: "Origin"}},
		{"keys: OPTIONS that is no preflight", false, cors, "OPTIONS", "plugins.example.com", "/v1/plugins", map[string]string{"Origin": builder}, want{status: 200, served: true, acao: builder}},
		{"keys: call from an allowed origin", false, cors, "GET", "plugins.example.com", "/v1/plugins", map[string]string{"Origin": builder}, want{status: 200, served: true, acao: builder}},
		{"keys: call from another origin", false, cors, "GET", "plugins.example.com", "/v1/plugins", map[string]string{"Origin": evil}, served},
		{"anonymous preflight allowed", true, cors, "OPTIONS", "127.0.0.1:8080", "/v1/datasources", preflight, want{status: 204, acao: builder}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reached := false
			s := &Server{Anonymous: tc.anonymous, CORSOrigins: tc.cors}
			h := s.guardBrowsers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				w.WriteHeader(http.StatusOK)
			}))
			r := httptest.NewRequest(tc.method, "http://placeholder"+tc.path, nil)
			r.Host = tc.host
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			res := w.Result()
			if res.StatusCode != tc.want.status || reached != tc.want.served {
				t.Fatalf("status %d, served %v; want %d, %v: %s", res.StatusCode, reached, tc.want.status, tc.want.served, w.Body)
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != tc.want.acao {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.want.acao)
			}
			if res.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials mode is on")
			}
			if (len(tc.cors) > 0 || tc.anonymous) != (res.Header.Get("Vary") == "Origin") {
				t.Errorf("Vary %q", res.Header.Get("Vary"))
			}
			switch {
			case tc.want.status == http.StatusNoContent:
				for k, v := range map[string]string{
					"Access-Control-Allow-Methods":  "GET, POST, PATCH, DELETE",
					"Access-Control-Allow-Headers":  "Authorization, Cache-Control, Content-Type, Idempotency-Key, X-Request-Id",
					"Access-Control-Max-Age":        "600",
					"Access-Control-Expose-Headers": "",
				} {
					if got := res.Header.Get(k); got != v {
						t.Errorf("%s %q, want %q", k, got, v)
					}
				}
			case tc.want.acao != "":
				if got := res.Header.Get("Access-Control-Expose-Headers"); got != "X-Request-Id, Retry-After, Idempotent-Replayed, Age" {
					t.Errorf("Access-Control-Expose-Headers %q", got)
				}
			case tc.want.field != "":
				var env struct {
					Error struct {
						Code   string
						Fields []struct{ Field, Message string }
					}
				}
				if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Error.Code != "forbidden" ||
					len(env.Error.Fields) != 1 || env.Error.Fields[0].Field != tc.want.field || env.Error.Fields[0].Message == "" {
					t.Errorf("envelope %s, want forbidden naming %s", w.Body, tc.want.field)
				}
				for _, k := range []string{"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Expose-Headers"} {
					if res.Header.Get(k) != "" {
						t.Errorf("a refusal carries %s", k)
					}
				}
			}
		})
	}
}
