package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"pluginserver/internal/webhook"
	"pluginserver/oauthbroker"
)

const secret = "0123456789abcdef-webhook"

// receiver answers with the given statuses in turn and keeps the bodies
// whose signature checks out.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	calls    int
	verified [][]byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	status := http.StatusOK
	if r.calls < len(r.statuses) {
		status = r.statuses[r.calls]
	}
	r.calls++
	if req.Header.Get(webhook.SignatureHeader) == webhook.Sign([]byte(secret), body) && req.Header.Get("Content-Type") == "application/json" {
		r.verified = append(r.verified, body)
	}
	w.WriteHeader(status)
}

func send(t *testing.T, r *receiver, attempts int) []time.Duration {
	t.Helper()
	srv := httptest.NewServer(r)
	defer srv.Close()
	s := webhook.New(srv.URL, secret, srv.Client(), zerolog.Nop())
	s.Attempts = attempts
	var waits []time.Duration
	s.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	s.Start()
	s.Publish(context.Background(), oauthbroker.Event{Type: oauthbroker.EventRefreshed, Datasource: "ds1", Workspace: "acme", At: time.Unix(0, 0).UTC()})
	s.Close(context.Background())
	return waits
}

func TestSignedDelivery(t *testing.T) {
	r := &receiver{}
	send(t, r, 4)
	if r.calls != 1 || len(r.verified) != 1 {
		t.Fatalf("%d calls, %d verified", r.calls, len(r.verified))
	}
	var e struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Datasource string `json:"datasourceId"`
	}
	if err := json.Unmarshal(r.verified[0], &e); err != nil || e.ID == "" || e.Type != "refreshed" || e.Datasource != "ds1" {
		t.Fatalf("body %s", r.verified[0])
	}
}

func TestRetriesWithBackoff(t *testing.T) {
	r := &receiver{statuses: []int{500, 502}}
	waits := send(t, r, 4)
	if r.calls != 3 || len(r.verified) != 3 || len(waits) != 2 || waits[0] != time.Second || waits[1] != 2*time.Second {
		t.Fatalf("%d calls, waits %v", r.calls, waits)
	}
}

func TestGivesUp(t *testing.T) {
	r := &receiver{statuses: []int{500, 500, 500, 500, 500}}
	send(t, r, 3)
	if r.calls != 3 {
		t.Fatalf("%d calls, want 3", r.calls)
	}
}

func TestSignature(t *testing.T) {
	// HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")
	want := "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := webhook.Sign([]byte("key"), []byte("The quick brown fox jumps over the lazy dog")); got != want {
		t.Fatalf("Sign = %s", got)
	}
}
