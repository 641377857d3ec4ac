package proxy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"pluginserver/internal/proxy"
	"pluginserver/plugin"
)

func call(t *testing.T, raw string) *plugin.Call {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &plugin.Call{Method: "GET", URL: u, Header: http.Header{"X-Restli-Protocol-Version": {"2.0.0"}}}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed, Authorization %q", r.Header.Get("Authorization"))
	}))
	defer elsewhere.Close()
	linkedIn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
			t.Errorf("headers %v", r.Header)
		}
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusFound)
	}))
	defer linkedIn.Close()
	p := &proxy.Proxy{Client: proxy.NewClient(5 * time.Second)}
	resp, err := p.Do(context.Background(), call(t, linkedIn.URL+"/v2/userinfo"), "tok")
	if err != nil || resp.Status != http.StatusFound {
		t.Fatalf("%+v, %v", resp, err)
	}
}

func TestAnswerIsCapped(t *testing.T) {
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("a", 2048)))
	}))
	defer huge.Close()
	p := &proxy.Proxy{Client: proxy.NewClient(5 * time.Second), MaxBody: 1024}
	_, err := p.Do(context.Background(), call(t, huge.URL), "tok")
	if plugin.AsError(err).Code != plugin.UpstreamUnavailable {
		t.Fatalf("err = %v, want upstream_unavailable", err)
	}
}

func TestTimeoutAndRefusal(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer hang.Close()
	defer close(release)
	p := &proxy.Proxy{Client: proxy.NewClient(time.Second)}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.Do(ctx, call(t, hang.URL), "tok"); plugin.AsError(err).Code != plugin.UpstreamTimeout {
		t.Errorf("hanging LinkedIn: err = %v, want upstream_timeout", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	if _, err := p.Do(context.Background(), call(t, addr), "tok"); plugin.AsError(err).Code != plugin.UpstreamUnavailable {
		t.Errorf("refused connection: err = %v, want upstream_unavailable", err)
	}
}
