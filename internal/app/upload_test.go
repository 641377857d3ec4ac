package app_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pluginserver/internal/app"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin/sandbox"
)

// register asks for an upload URL and returns it with the asset's URN.
func (h *harness) register(id string) (string, string) {
	h.t.Helper()
	_, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"registerMediaUpload","params":{"author":"person:782bbtaQ","mediaCategory":"image"}}`)
	v := env["output"].(map[string]any)["value"].(map[string]any)
	return v["uploadMechanism"].(map[string]any)["com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest"].(map[string]any)["uploadUrl"].(string), v["asset"].(string)
}

func (h *harness) upload(id, query, contentType string, body io.Reader, length int64) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+"/v1/datasources/"+id+"/execute?"+query, body)
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+builder)
	req.Header.Set("Content-Type", contentType)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestStreamedUploads(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	file := bytes.Repeat([]byte("\x89PNG\r\n\x1a\n"), 5000)

	t.Run("raw body", func(t *testing.T) {
		uploadURL, asset := h.register(id)
		status, env := h.upload(id, "command=uploadMedia&uploadUrl="+url.QueryEscape(uploadURL), "image/png", bytes.NewReader(file), int64(len(file)))
		size, hash, ok := h.app.Sandbox.Uploaded(asset)
		if status != 200 || !strings.Contains(env, `"status":201`) || !ok || size != int64(len(file)) || hash != sum(file) {
			t.Fatalf("%d %s; LinkedIn got %d bytes", status, env, size)
		}
	})
	t.Run("multipart form", func(t *testing.T) {
		uploadURL, asset := h.register(id)
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		mw.WriteField("uploadUrl", uploadURL)
		part, _ := mw.CreateFormFile("file", "office.png")
		part.Write(file)
		mw.Close()
		status, env := h.upload(id, "command=uploadMedia", mw.FormDataContentType(), &form, int64(form.Len()))
		size, hash, _ := h.app.Sandbox.Uploaded(asset)
		if status != 200 || !strings.Contains(env, `"status":201`) || size != int64(len(file)) || hash != sum(file) {
			t.Fatalf("%d %s; LinkedIn got %d bytes", status, env, size)
		}
	})
	t.Run("multipart form without the file", func(t *testing.T) {
		uploadURL, _ := h.register(id)
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		mw.WriteField("uploadUrl", uploadURL)
		mw.Close()
		h.app.Sandbox.Reset()
		status, env := h.upload(id, "command=uploadMedia", mw.FormDataContentType(), &form, int64(form.Len()))
		if status != 400 || !strings.Contains(env, `"field":"file"`) || len(h.app.Sandbox.Requests()) != 0 {
			t.Fatalf("%d %s", status, env)
		}
	})
	t.Run("a command that takes no file", func(t *testing.T) {
		if status, env := h.upload(id, "command=createPost", "image/png", bytes.NewReader(file), int64(len(file))); status != 400 || !strings.Contains(env, `"field":"command"`) {
			t.Fatalf("%d %s", status, env)
		}
	})
	t.Run("a body cut off half way", func(t *testing.T) {
		uploadURL, asset := h.register(id)
		conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/datasources/%s/execute?command=uploadMedia&uploadUrl=%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n",
			id, url.QueryEscape(uploadURL), builder, len(file))
		conn.Write(file[:len(file)/2])
		conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || !strings.Contains(string(raw), "cut off") {
			t.Fatalf("%d %s", resp.StatusCode, raw)
		}
		if _, _, ok := h.app.Sandbox.Uploaded(asset); ok {
			t.Fatal("a cut-off upload is reported as done")
		}
	})
}

// pattern is a file of n pseudo-random bytes, made as it is read.
type pattern struct {
	rng  *rand.ChaCha8
	left int64
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.left)]
	p.rng.Read(b)
	p.left -= int64(len(b))
	return len(b), nil
}

// TestLargeUploadStreams sends 256 MiB through the server to LinkedIn, which
// checks every byte by hash, while the heap stays small: the file is never
// held whole.
func TestLargeUploadStreams(t *testing.T) {
	const size = 256 << 20
	h := startHarness(t, map[string]string{"PLUGIN_SERVER_MAX_UPLOAD": fmt.Sprint(size + 1024)}, app.Options{}, "--sandbox")
	id := h.authorizedDatasource()
	uploadURL, asset := h.register(id)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	hash := sha256.New()
	file := io.TeeReader(&pattern{rng: rand.NewChaCha8([32]byte{7}), left: size}, hash)
	status, env := h.upload(id, "command=uploadMedia&uploadUrl="+url.QueryEscape(uploadURL), "video/mp4", file, size)
	close(stop)
	wg.Wait()
	got, gotHash, _ := h.app.Sandbox.Uploaded(asset)
	if status != 200 || got != size || gotHash != hex.EncodeToString(hash.Sum(nil)) {
		t.Fatalf("%d %s; LinkedIn got %d bytes", status, env, got)
	}
	t.Logf("256 MiB streamed; peak heap in use %.1f MiB", float64(peak.Load())/(1<<20))
	if peak.Load() > 64<<20 {
		t.Fatalf("the heap reached %d bytes: the upload was held in memory", peak.Load())
	}
}

// TestVideoInParts: uploadVideo initializes, sends each part LinkedIn
// plans with its bytes, finalizes with the ETags, and reports progress.
func TestVideoInParts(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	video := make([]byte, 2*sandbox.PartSize+12345)
	rand.NewChaCha8([32]byte{1}).Read(video)
	status, raw := h.upload(id, "command=uploadVideo&author=person:782bbtaQ", "video/mp4", bytes.NewReader(video), int64(len(video)))
	var env struct {
		Status int
		Output struct {
			Video string
			Parts int
			Bytes int64
		}
		Meta struct{ Progress plugin.UploadProgress }
	}
	json.Unmarshal([]byte(raw), &env)
	if status != 200 || env.Output.Parts != 3 || env.Output.Bytes != int64(len(video)) || env.Meta.Progress.SentBytes != int64(len(video)) || env.Meta.Progress.Parts != 3 {
		t.Fatalf("%d %s", status, raw)
	}
	finalized, hashes := h.app.Sandbox.Video(env.Output.Video)
	for i, hsh := range hashes {
		part := video[i*sandbox.PartSize : min((i+1)*sandbox.PartSize, len(video))]
		if hsh != sum(part) {
			t.Fatalf("part %d arrived changed", i)
		}
	}
	if !finalized || len(hashes) != 3 {
		t.Fatalf("finalized %v, %d parts", finalized, len(hashes))
	}
	_, st := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getMediaUploadStatus","params":{"mediaCategory":"video","mediaId":"`+env.Output.Video+`"}}`)
	if st["output"].(map[string]any)["status"] != "AVAILABLE" {
		t.Fatalf("status %v", st["output"])
	}
	if !strings.Contains(h.logs.String(), `"message":"upload progress"`) {
		t.Fatal("no progress in the log")
	}
}

// TestVideoPartRefused: a part LinkedIn refuses stops the upload before it
// is finalized, and says so.
func TestVideoPartRefused(t *testing.T) {
	f := newFaultyLinkedIn(t)
	f.rejectSuffix = "/1"
	h := startHarness(t, sandbox.Env(f.srv.URL), app.Options{})
	id := h.authorizedDatasource()
	video := make([]byte, 2*sandbox.PartSize)
	status, raw := h.upload(id, "command=uploadVideo&author=person:782bbtaQ", "video/mp4", bytes.NewReader(video), int64(len(video)))
	if status != 422 || !strings.Contains(raw, "linkedin_rejected") || !strings.Contains(raw, `"parts":1`) {
		t.Fatalf("%d %s", status, raw)
	}
	if n := f.count("/rest/videos"); n != 1 {
		t.Fatalf("%d Videos API calls: the upload was finalized after a refused part", n)
	}
}
