package app_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func (h *harness) executeWithKey(id, key, body string) (int, http.Header, string) {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+"/v1/datasources/"+id+"/execute", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+builder)
	req.Header.Set("Idempotency-Key", key)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

func TestIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	post := `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"once only","visibility":"PUBLIC"}}`
	same := `{"params":{"visibility":"PUBLIC","text":"once only","author":"person:782bbtaQ","lifecycleState":"PUBLISHED"},"command":"createPost"}`
	h.app.Sandbox.Reset()
	status, _, first := h.executeWithKey(id, "order-1", post)
	if status != 200 || !strings.Contains(first, `"status":201`) {
		t.Fatalf("first: %d %s", status, first)
	}
	status, header, again := h.executeWithKey(id, "order-1", same)
	if status != 200 || again != first || header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s\nfirst: %s", status, again, first)
	}
	if n := h.sent("POST", "/v2/ugcPosts"); n != 1 {
		t.Fatalf("LinkedIn received %d posts", n)
	}
	status, _, other := h.executeWithKey(id, "order-1", strings.Replace(post, "once only", "something else", 1))
	if status != 400 || !strings.Contains(other, `"field":"Idempotency-Key"`) {
		t.Fatalf("same key, other params: %d %s", status, other)
	}
	for _, bad := range []string{strings.Repeat("k", 256), "tab\there"} {
		if status, _, body := h.executeWithKey(id, bad, post); status != 400 || !strings.Contains(body, "Idempotency-Key") {
			t.Errorf("key %q: %d %s", bad, status, body)
		}
	}
}

// TestConcurrentTwinsPostOnce: twenty copies of one request at once make
// one post; each copy gets the answer or is told the first still runs.
func TestConcurrentTwinsPostOnce(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	h.app.Sandbox.Reset()
	post := `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"twins","visibility":"PUBLIC"}}`
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[string]int{}
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, body := h.executeWithKey(id, "twins-1", post)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case status == 200 && strings.Contains(body, `"status":201`):
				answers["posted"]++
			case status == 409 && strings.Contains(body, "request_in_progress"):
				answers["in progress"]++
			default:
				answers[body]++
			}
		}()
	}
	wg.Wait()
	if n := h.sent("POST", "/v2/ugcPosts"); n != 1 || answers["posted"] == 0 || answers["posted"]+answers["in progress"] != 20 {
		t.Fatalf("%d posts sent; answers %v", n, answers)
	}
}
