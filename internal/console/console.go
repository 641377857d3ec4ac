// Package console serves the web console: a React page built by Vite from
// web/ into dist/ (make console), committed, and embedded in the binary so
// that go build and go run need no npm.
//
// The page is index.html at / (and at any other path under the console
// without a file extension, so a reload of a deep link still finds it);
// its hashed files are under /assets/, cached for a year, and sent
// gzipped to browsers that take it. Every answer carries a
// Content-Security-Policy (CSP) that allows scripts and styles from the
// server's own origin only: the build has no inline script or style.
package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed all:dist
var dist embed.FS

// CSP is the Content-Security-Policy of every answer. 'unsafe-eval' is
// there for one reason: the forms come from the server at run time, and
// RJSF's validator (Ajv) compiles each schema into a function with new
// Function; nothing else in the page evaluates strings. There is no
// 'unsafe-inline': no inline script, no inline style element or attribute
// in the markup (React sets styles through the DOM, which CSP allows).
const CSP = "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// types are the content types of the files a build holds, so that the
// answer does not depend on the machine's MIME tables.
var types = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".webp":  "image/webp",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

type file struct {
	body        []byte
	contentType string
	etag        string
	// gzipped is body compressed once at start, for the text files; nil
	// when compressing does not pay.
	gzipped []byte
}

type handler struct {
	index *file
	files map[string]*file // by path under dist, e.g. "assets/index-3f2a.js"
}

// Handler serves the embedded build. It is mounted for GET on every path
// the other routes leave, r.Get("/*", console.Handler().ServeHTTP) with
// chi, whose more specific routes keep precedence.
func Handler() http.Handler {
	h, err := build()
	if err != nil {
		panic("console: " + err.Error())
	}
	return h
}

// build reads and compresses the embedded files once per process.
var build = sync.OnceValues(func() (*handler, error) { return newHandler(dist) })

func newHandler(fsys fs.FS) (*handler, error) {
	sub, err := fs.Sub(fsys, "dist")
	if err != nil {
		return nil, err
	}
	h := &handler{files: map[string]*file{}}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		ct, ok := types[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		f := &file{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		if strings.HasPrefix(ct, "text/") || ct == "image/svg+xml" || ct == "application/json" {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(body)
			zw.Close()
			if buf.Len() < len(body)*9/10 {
				f.gzipped = buf.Bytes()
			}
		}
		h.files[p] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.index = h.files["index.html"]
	if h.index == nil {
		return nil, fs.ErrNotExist
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", CSP)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	f := h.files[p]
	switch {
	case f != nil && f != h.index:
		// Vite names each file by its content's hash: it never changes.
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	case f == nil && (p == "assets" || strings.HasPrefix(p, "assets/") || path.Ext(p) != ""):
		hdr.Set("Cache-Control", "no-store")
		http.Error(w, "not found", http.StatusNotFound)
		return
	default:
		// The page itself is checked on every load, so a new build is
		// picked up at once; it is small and names the hashed files.
		f = h.index
		hdr.Set("Cache-Control", "no-cache")
	}
	hdr.Set("Content-Type", f.contentType)
	body, etag := f.body, f.etag
	if f.gzipped != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			body, etag = f.gzipped, strings.TrimSuffix(f.etag, `"`)+`-gzip"`
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reads Accept-Encoding: gzip (or *) listed without q=0.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "*" {
				continue
			}
			if name, q, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(name), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(q), 64); err != nil || f <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}
