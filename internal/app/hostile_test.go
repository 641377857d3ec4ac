package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"
)

// TestHostileRequestsReachNoOne: customAction and uploadMedia inputs that
// try to leave LinkedIn's hosts, smuggle headers or climb out of the API
// root are refused naming the field, and neither the fake LinkedIn nor
// another listener receives anything.
func TestHostileRequestsReachNoOne(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	var reached atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		t.Errorf("another host received %s %s with Authorization %q", r.Method, r.URL, r.Header.Get("Authorization"))
	}))
	defer evil.Close()
	api := h.srv.Listener.Addr().String()            // the sandbox's LinkedIn API host
	other := strings.TrimPrefix(evil.URL, "http://") // another host on this machine
	_, port, _ := strings.Cut(api, ":")

	custom := func(method, path string, headers map[string]string) map[string]any {
		p := map[string]any{"method": method, "path": path}
		if headers != nil {
			p["headers"] = headers
		}
		return map[string]any{"command": "customAction", "params": p}
	}
	upload := func(u string) map[string]any {
		return map[string]any{"command": "uploadMedia", "params": map[string]any{"uploadUrl": u, "data": "aGVsbG8="}}
	}
	tests := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"another host", custom("GET", "http://"+other+"/v2/me", nil), "path"},
		{"another host over https", custom("GET", "https://evil.test/v2/me", nil), "path"},
		{"look-alike suffix", custom("GET", "http://"+api+".evil.test/v2/me", nil), "path"},
		{"look-alike with fragment and userinfo", custom("GET", "http://evil.test#@"+api+"/v2/me", nil), "path"},
		{"userinfo", custom("GET", "http://user:pw@"+api+"/v2/me", nil), "path"},
		{"userinfo before another host", custom("GET", "http://"+api+"@"+other+"/v2/me", nil), "path"},
		{"IPv6 literal", custom("GET", "http://[::1]:"+port+"/v2/me", nil), "path"},
		{"decimal IP literal", custom("GET", "http://2130706433:"+port+"/v2/me", nil), "path"},
		{"another port", custom("GET", "http://127.0.0.1:1/v2/me", nil), "path"},
		{"another scheme", custom("GET", "ftp://"+api+"/v2/me", nil), "path"},
		{"file scheme", custom("GET", "file:///etc/passwd", nil), "path"},
		{"scheme-relative", custom("GET", "//"+other+"/v2/me", nil), "path"},
		{"triple slash", custom("GET", "///"+other+"/v2/me", nil), "path"},
		{"backslashes", custom("GET", `\\`+other+`\v2\me`, nil), "path"},
		{"backslash climb", custom("GET", `/v2/..\..\admin`, nil), "path"},
		{"dot-dot", custom("GET", "/v2/../../admin", nil), "path"},
		{"dot-dot into rest", custom("GET", "/rest/../v2/userinfo", nil), "path"},
		{"single dot", custom("GET", "/v2/./userinfo", nil), "path"},
		{"empty segment", custom("GET", "/v2//userinfo", nil), "path"},
		{"encoded dots", custom("GET", "/v2/%2e%2e/%2e%2e/admin", nil), "path"},
		{"encoded dots upper case", custom("GET", "/v2/%2E%2E/admin", nil), "path"},
		{"encoded slash", custom("GET", "/v2/..%2fadmin", nil), "path"},
		{"encoded backslash", custom("GET", "/v2/..%5cadmin", nil), "path"},
		{"encoded NUL", custom("GET", "/v2/userinfo%00", nil), "path"},
		{"encoded CRLF", custom("GET", "/v2/userinfo%0d%0aHost:%20evil", nil), "path"},
		{"raw CRLF", custom("GET", "/v2/userinfo\r\nHost: evil", nil), "path"},
		{"raw NUL", custom("GET", "/v2/user\x00info", nil), "path"},
		{"space", custom("GET", "/v2/userinfo HTTP/1.1", nil), "path"},
		{"at sign", custom("GET", "/v2/me@"+other, nil), "path"},
		{"fragment", custom("GET", "/v2/userinfo#x", nil), "path"},
		{"outside the API root", custom("GET", "/admin", nil), "path"},
		{"relative", custom("GET", "v2/userinfo", nil), "path"},
		{"bad escape", custom("GET", "/v2/%zz", nil), "path"},
		{"path parameters climbing out", custom("GET", "/rest/..;/v2/userinfo", nil), "path"},
		{"overlong UTF-8 dots", custom("GET", "/rest/%c0%ae%c0%ae/v2/userinfo", nil), "path"},
		{"a 512 KB header value (JSON bodies stop at 1 MiB)", custom("GET", "/v2/userinfo", map[string]string{"X-Big": strings.Repeat("v", 512<<10)}), "headers.X-Big"},
		{"a 10 MB content type", map[string]any{"command": "uploadMedia", "params": map[string]any{
			"uploadUrl": "http://" + api + "/sandbox/mediaUpload/x/feedshare-uploadedImage/0", "data": "aGVsbG8=", "contentType": "image/" + strings.Repeat("p", 10<<20)}}, "contentType"},
		{"method TRACE", custom("TRACE", "/v2/userinfo", nil), "method"},
		{"method CONNECT", custom("CONNECT", "/v2/userinfo", nil), "method"},
		{"method in lower case", custom("get", "/v2/userinfo", nil), "method"},
		{"method with CRLF", custom("GET\r\nX: y", "/v2/userinfo", nil), "method"},
		{"Authorization", custom("GET", "/v2/userinfo", map[string]string{"Authorization": "Bearer stolen"}), "headers.Authorization"},
		{"authorization in lower case", custom("GET", "/v2/userinfo", map[string]string{"authorization": "Bearer x"}), "headers.authorization"},
		{"Host", custom("GET", "/v2/userinfo", map[string]string{"Host": other}), "headers.Host"},
		{"Cookie", custom("GET", "/v2/userinfo", map[string]string{"Cookie": "li_at=x"}), "headers.Cookie"},
		{"Proxy-Authorization", custom("GET", "/v2/userinfo", map[string]string{"Proxy-Authorization": "Basic x"}), "headers.Proxy-Authorization"},
		{"X-Forwarded-Host", custom("GET", "/v2/userinfo", map[string]string{"X-Forwarded-Host": other}), "headers.X-Forwarded-Host"},
		{"X-Forwarded-For", custom("GET", "/v2/userinfo", map[string]string{"x-forwarded-for": "10.0.0.1"}), "headers.x-forwarded-for"},
		{"Content-Length", custom("POST", "/v2/userinfo", map[string]string{"Content-Length": "0"}), "headers.Content-Length"},
		{"Transfer-Encoding", custom("POST", "/v2/userinfo", map[string]string{"Transfer-Encoding": "chunked"}), "headers.Transfer-Encoding"},
		{"Connection", custom("GET", "/v2/userinfo", map[string]string{"Connection": "close"}), "headers.Connection"},
		{"header name with CRLF", custom("GET", "/v2/userinfo", map[string]string{"X-A\r\nHost": "evil"}), "headers.X-A\r\nHost"},
		{"header name with space", custom("GET", "/v2/userinfo", map[string]string{"X A": "1"}), "headers.X A"},
		{"header value with CRLF", custom("GET", "/v2/userinfo", map[string]string{"X-A": "1\r\nHost: evil"}), "headers.X-A"},
		{"header value with NUL", custom("GET", "/v2/userinfo", map[string]string{"X-A": "1\x00"}), "headers.X-A"},
		{"upload to another host", upload("http://" + other + "/mediaUpload/x/feedshare-uploadedImage/0"), "uploadUrl"},
		{"upload to a look-alike", upload("https://www.linkedin.com.evil.test/dms-uploads/x"), "uploadUrl"},
		{"upload with userinfo", upload("http://user:pw@" + api + "/sandbox/mediaUpload/x"), "uploadUrl"},
		{"upload via userinfo to another host", upload("http://" + api + "@" + other + "/mediaUpload/x"), "uploadUrl"},
		{"upload to another port", upload("http://127.0.0.1:1/mediaUpload/x"), "uploadUrl"},
		{"upload to an IPv6 literal", upload("http://[::1]:" + port + "/sandbox/mediaUpload/x"), "uploadUrl"},
		{"upload scheme-relative", upload("//" + other + "/mediaUpload/x"), "uploadUrl"},
		{"upload javascript", upload("javascript:alert(1)"), "uploadUrl"},
		{"upload file", upload("file:///etc/passwd"), "uploadUrl"},
		{"upload ftp", upload("ftp://" + api + "/sandbox/mediaUpload/x"), "uploadUrl"},
		{"upload with CRLF", upload("http://" + api + "/sandbox/mediaUpload/x\r\nHost: evil"), "uploadUrl"},
		{"upload with backslash", upload("http://" + api + `\@` + other + "/x"), "uploadUrl"},
	}
	if len(tests) < 40 {
		t.Fatalf("only %d hostile inputs", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.app.Sandbox.Reset()
			body, _ := json.Marshal(tt.body)
			status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, string(body))
			if status != 400 || env["error"].(map[string]any)["code"] != "invalid_input" {
				t.Fatalf("%d %v", status, env)
			}
			if got := fields(env); len(got) == 0 || got[0] != tt.field {
				t.Fatalf("fields %q, want %q", got, tt.field)
			}
			if n := len(h.app.Sandbox.Requests()); n != 0 {
				t.Fatalf("LinkedIn received %d requests", n)
			}
		})
	}
	if reached.Load() != 0 {
		t.Fatalf("another host was reached %d times", reached.Load())
	}
}

// TestErrorsEchoLittle: what an error echoes of the caller's input (a
// field's name, a value quoted in its message) is cut, so a megabyte-long
// property name comes back as at most a few hundred bytes.
func TestErrorsEchoLittle(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	long := strings.Repeat("é", 200<<10) // 400 KiB of two-byte characters, under the 1 MiB a JSON body may hold
	for name, body := range map[string]string{
		"an unknown property":      `{"command":"getUserInfo","params":{"` + long + `":1}}`,
		"an unknown command":       `{"command":"` + long + `"}`,
		"a data: URL's media type": `{"command":"uploadMedia","params":{"uploadUrl":"https://api.linkedin.com/mediaUpload/x","data":"data:image/` + long + `;base64,aGk="}}`,
	} {
		t.Run(name, func(t *testing.T) {
			status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, body)
			raw, _ := json.Marshal(env)
			if status/100 != 4 || len(raw) > 4096 {
				t.Fatalf("%d, %d bytes: %.300s", status, len(raw), raw)
			}
			e := env["error"].(map[string]any)
			for _, f := range fields(env) {
				if !utf8.ValidString(f) || len(f) > 256 {
					t.Fatalf("field of %d bytes", len(f))
				}
			}
			if msg := e["message"].(string); !utf8.ValidString(msg) || len(msg) > 1024 {
				t.Fatalf("message of %d bytes", len(msg))
			}
		})
	}
}
