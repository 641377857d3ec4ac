package linkedin_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"pluginserver/internal/catalog"
	"pluginserver/internal/proxy"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
	"pluginserver/plugin/linkedin/sandbox"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// linkedInClient sends every request, whatever its host, to the fake: the
// requests carry LinkedIn's real URLs and hosts, as LinkedIn would see them.
func linkedInClient(fake *httptest.Server) *http.Client {
	t := fake.Client().Transport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	t.DialTLSContext = nil
	t.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, fake.Listener.Addr().String())
	}
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func testSettings() plugin.Settings {
	api, _ := url.Parse("https://api.linkedin.com")
	return plugin.Settings{APIURL: api, Version: "202610", UploadHosts: []string{"api.linkedin.com", "www.linkedin.com"}, Now: fixedNow}
}

// recorded is a request as the golden files hold it.
type recorded struct {
	Method string            `json:"method"`
	Host   string            `json:"host"`
	Path   string            `json:"path"`
	Query  string            `json:"query,omitempty"`
	Header map[string]string `json:"headers"`
	Body   json.RawMessage   `json:"body,omitempty"`
}

func normalize(r sandbox.Request) recorded {
	out := recorded{Method: r.Method, Host: r.Host, Path: r.Path, Query: r.Query, Header: map[string]string{}}
	for k := range r.Header {
		switch k {
		case "User-Agent", "Accept-Encoding", "Content-Length":
			continue
		}
		out.Header[k] = r.Header.Get(k)
	}
	switch {
	case r.Body == "":
	case json.Valid([]byte(r.Body)):
		var buf bytes.Buffer
		json.Indent(&buf, []byte(r.Body), "  ", "  ")
		out.Body = buf.Bytes()
	case utf8.ValidString(r.Body):
		out.Body, _ = json.Marshal(r.Body)
	default:
		out.Body, _ = json.Marshal(map[string]string{"base64": base64.StdEncoding.EncodeToString([]byte(r.Body))})
	}
	return out
}

// TestGoldenRequests sends each command's examples through the proxy to a
// recording fake and compares the exact request LinkedIn would receive.
func TestGoldenRequests(t *testing.T) {
	fake := sandbox.New(sandbox.Options{BaseURL: "https://api.linkedin.com"})
	srv := httptest.NewTLSServer(fake)
	defer srv.Close()
	p := &proxy.Proxy{Client: linkedInClient(srv)}
	cat, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range linkedin.Plugin().Commands {
		for i, ex := range cmd.Form.Examples {
			name := cmd.ID
			if i > 0 {
				name = fmt.Sprintf("%s-%d", cmd.ID, i+1)
			}
			t.Run(name, func(t *testing.T) {
				_, v, _ := cat.Command("linkedin", cmd.ID)
				params, err := normalized(cmd, ex.Params)
				if err != nil {
					t.Fatalf("example %q: %v", ex.Title, err)
				}
				if problems := v.Validate(params); problems != nil {
					t.Fatalf("example %q fails its own form: %v", ex.Title, problems)
				}
				call, err := firstCall(cmd, params)
				if err != nil {
					t.Fatalf("build: %v", err)
				}
				fake.Reset()
				if _, err := p.Do(context.Background(), call, "AQV-golden-token"); err != nil {
					t.Fatalf("send: %v", err)
				}
				reqs := fake.Requests()
				if len(reqs) != 1 {
					t.Fatalf("fake received %d requests, want 1", len(reqs))
				}
				got := []byte(pretty(normalize(reqs[0])))
				path := filepath.Join("testdata", "golden", name+".json")
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to write it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("request differs from %s\ngot:\n%s\nwant:\n%s", path, got, want)
				}
			})
		}
	}
}

// firstCall is the request a command sends first: what Build makes, or for
// a multi-call command the first call of its flow, on a small file.
func firstCall(cmd *plugin.Command, params json.RawMessage) (*plugin.Call, error) {
	if cmd.Run == nil {
		return cmd.Build(context.Background(), params, testSettings())
	}
	var first *plugin.Call
	stop := errors.New("first call seen")
	file := &plugin.File{Body: strings.NewReader("video"), Length: 5, ContentType: "video/mp4"}
	if bytes.Contains(params, []byte(`"data"`)) {
		file = &plugin.File{} // the file is in the params
	}
	_, err := cmd.Run(context.Background(), params, testSettings(), file, func(_ context.Context, c *plugin.Call) (*plugin.Response, error) {
		first = c
		return nil, stop
	}, func(int64, int64) {})
	if first == nil {
		return nil, err
	}
	return first, nil
}
