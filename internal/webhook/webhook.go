// Package webhook delivers authorization events to an HTTP endpoint, signed
// with HMAC-SHA256 over the body and retried with backoff, without ever
// holding up the request that caused them.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"pluginserver/internal/wait"
	"pluginserver/oauthbroker"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body
// under the shared secret.
const SignatureHeader = "X-Plugin-Server-Signature"

// Sender posts events to one URL.
type Sender struct {
	url    string
	secret []byte
	client *http.Client
	log    zerolog.Logger
	// Attempts is how many times a delivery is tried; Backoff the wait
	// before the second, doubling after.
	Attempts int
	Backoff  time.Duration
	// Sleep waits between attempts; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error

	queue  chan []byte
	wg     sync.WaitGroup
	cancel context.CancelFunc
	once   sync.Once
}

const queueSize = 1024

// New makes a sender; Start runs its delivery loop.
func New(url, secret string, client *http.Client, log zerolog.Logger) *Sender {
	return &Sender{url: url, secret: []byte(secret), client: client, log: log,
		Attempts: 4, Backoff: time.Second, Sleep: wait.Sleep, queue: make(chan []byte, queueSize)}
}

// Start delivers queued events until Close.
func (s *Sender) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for body := range s.queue {
			s.deliver(ctx, body)
		}
	}()
}

// Close delivers what is queued, giving up when ctx ends.
func (s *Sender) Close(ctx context.Context) {
	s.once.Do(func() { close(s.queue) })
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.cancel()
		<-done
	}
}

// Publish queues an event; when the queue is full the event is logged and
// dropped rather than slowing a request.
func (s *Sender) Publish(_ context.Context, e oauthbroker.Event) {
	id := make([]byte, 8)
	rand.Read(id)
	body, _ := json.Marshal(struct {
		ID string `json:"id"`
		oauthbroker.Event
	}{hex.EncodeToString(id), e})
	select {
	case s.queue <- body:
	default:
		s.log.Warn().Str("event", e.Type).Str("datasource", e.Datasource).Msg("webhook queue full; event dropped")
	}
}

// Sign is the signature header's value for a body.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (s *Sender) deliver(ctx context.Context, body []byte) {
	wait := s.Backoff
	for attempt := 1; ; attempt++ {
		err := s.post(ctx, body)
		if err == nil {
			return
		}
		if attempt >= s.Attempts {
			s.log.Error().Err(err).Int("attempts", attempt).Msg("webhook delivery failed; event dropped")
			return
		}
		s.log.Warn().Err(err).Int("attempt", attempt).Dur("retryIn", wait).Msg("webhook delivery failed")
		if s.Sleep(ctx, wait) != nil {
			return
		}
		wait *= 2
	}
}

func (s *Sender) post(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(s.secret, body))
	resp, err := s.client.Do(req)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // without the URL, which may hold a credential
	}
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("the endpoint answered HTTP %d", resp.StatusCode)
	}
	return nil
}
