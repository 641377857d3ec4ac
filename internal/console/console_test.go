package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`)

// TestIndex: the page at / and at deep links, under a CSP that allows no
// inline script, naming hashed assets that are served with long caching.
func TestIndex(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/", "/index.html", "/datasources/ds_x", "/console/commands"} {
		resp, body := get(t, h, "GET", path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || !bytes.Contains(body, []byte(`<div id="root">`)) {
			t.Fatalf("GET %s: %d %v %.200s", path, resp.StatusCode, resp.Header, body)
		}
		if resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("Content-Security-Policy") != CSP || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s headers %v", path, resp.Header)
		}
	}
	_, index := get(t, h, "GET", "/")
	// Every script has a src: nothing inline for the CSP to refuse, and no
	// inline style either.
	if n, src := bytes.Count(index, []byte("<script")), regexp.MustCompile(`<script[^>]+src="/assets/`).FindAll(index, -1); n == 0 || n != len(src) {
		t.Errorf("index.html has %d scripts, %d of them from /assets/:\n%s", n, len(src), index)
	}
	if bytes.Contains(index, []byte("<style")) || bytes.Contains(index, []byte("style=")) {
		t.Errorf("index.html has an inline style:\n%s", index)
	}
	for _, directive := range []string{"default-src 'none'", "script-src 'self' 'unsafe-eval'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(CSP, directive+";") && !strings.HasSuffix(CSP, directive) {
			t.Errorf("CSP lacks %q: %s", directive, CSP)
		}
	}
	if strings.Contains(CSP, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %s", CSP)
	}

	refs := assetRef.FindAllSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d assets:\n%s", len(refs), index)
	}
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for _, ref := range refs {
		path := string(ref[1])
		resp, body := get(t, h, "GET", path)
		ext := path[strings.LastIndex(path, "."):]
		if resp.StatusCode != 200 || len(body) == 0 || resp.Header.Get("Content-Type") != want[ext] {
			t.Errorf("GET %s: %d %q, %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", path, cc)
		}
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/assets/nope.js", "/assets/", "/favicon.ico", "/robots.txt", "/x/../assets/nope.css"} {
		if resp, _ := get(t, h, "GET", path); resp.StatusCode != 404 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d %v, want 404", path, resp.StatusCode, resp.Header)
		}
	}
	if resp, _ := get(t, h, "POST", "/"); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, body := get(t, h, "HEAD", "/"); resp.StatusCode != 200 || len(body) != 0 {
		t.Errorf("HEAD /: %d, %d bytes", resp.StatusCode, len(body))
	}
}

// TestGzipAndETag: text files go compressed to whoever accepts gzip, and
// a client that has the file is told so.
func TestGzipAndETag(t *testing.T) {
	h := Handler()
	_, index := get(t, h, "GET", "/")
	js := string(regexp.MustCompile(`/assets/[^"]+\.js`).Find(index))
	plainResp, plain := get(t, h, "GET", js)
	resp, zipped := get(t, h, "GET", js, "Accept-Encoding", "br, gzip;q=0.8")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" || len(zipped) >= len(plain) {
		t.Fatalf("gzip: %v, %d bytes of %d", resp.Header, len(zipped), len(plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	if unzipped, _ := io.ReadAll(zr); !bytes.Equal(unzipped, plain) {
		t.Fatal("the gzipped file is not the file")
	}
	if resp.Header.Get("ETag") == plainResp.Header.Get("ETag") {
		t.Error("both encodings have one ETag")
	}
	if resp, _ := get(t, h, "GET", js, "Accept-Encoding", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got %v", resp.Header)
	}
	if resp, body := get(t, h, "GET", js, "If-None-Match", plainResp.Header.Get("ETag")); resp.StatusCode != 304 || len(body) != 0 {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
}

// TestBuildIsClean: the committed build holds what it should and nothing
// of the machine that made it.
func TestBuildIsClean(t *testing.T) {
	err := fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".map") {
			t.Errorf("%s: source maps are not shipped", p)
		}
		body, _ := fs.ReadFile(dist, p)
		for _, local := range []string{"/work/", "/root/", "/home/", "node_modules/", "localhost:5173"} {
			if bytes.Contains(body, []byte(local)) {
				t.Errorf("%s holds %q: a path of the machine that built it", p, local)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for in, want := range map[string]bool{"": false, "gzip": true, "GZIP": true, "deflate, gzip": true, "br": false, "*": true,
		"gzip;q=0": false, "gzip; q=0.000": false, "gzip;q=0.5": true, "x-gzip": false, "gzip;q=bogus": false} {
		if got := acceptsGzip([]string{in}); got != want {
			t.Errorf("acceptsGzip(%q) = %v", in, got)
		}
	}
}
