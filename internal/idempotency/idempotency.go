// Package idempotency makes an execute with an Idempotency-Key happen once:
// a retry gets the first answer, a concurrent twin waits for it, and
// nothing is sent to LinkedIn twice. Keys live in the store, so this holds
// across restarts and replicas.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	ps "pluginserver"
	"pluginserver/plugin"
)

// Store keeps the requests.
type Store interface {
	BeginIdempotent(ctx context.Context, r *ps.IdempotentRequest, expiredBefore time.Time) (*ps.IdempotentRequest, bool, error)
	FinishIdempotent(ctx context.Context, workspace, key string, status int, envelope []byte) error
	ReleaseIdempotent(ctx context.Context, workspace, key string) error
}

// TTL is how long a key is remembered.
const TTL = 24 * time.Hour

// Guard runs requests once per key.
type Guard struct {
	Store Store
	Now   func() time.Time
	// Wait is how long a twin waits for the first request to finish.
	Wait time.Duration
}

// CheckKey refuses keys that are not 1 to 255 printable ASCII characters.
func CheckKey(key string) error {
	if len(key) == 0 || len(key) > 255 {
		return plugin.InvalidField("Idempotency-Key", "must be 1 to 255 characters")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return plugin.InvalidField("Idempotency-Key", "must be printable ASCII, without control characters")
		}
	}
	return nil
}

// Hash identifies a request: the datasource, the command and the params,
// whatever their key order or spacing.
func Hash(datasource, command string, params json.RawMessage) string {
	var v any
	if len(params) > 0 && json.Unmarshal(params, &v) == nil {
		params, _ = json.Marshal(v)
	}
	sum := sha256.Sum256([]byte(datasource + "\n" + command + "\n" + string(params)))
	return hex.EncodeToString(sum[:])
}

// Answer is an HTTP status and the envelope's bytes.
type Answer struct {
	Status   int
	Envelope []byte
	Replayed bool
	// RetryAfter is not kept: answers that carry one are not kept either.
	RetryAfter int
}

// Do runs run once for workspace and key. run returns the answer and
// whether to keep it: an answer is kept unless nothing can have reached
// LinkedIn, in which case the key is freed for a retry. When the answer
// could not be recorded, it is returned with the error.
// lease is the longest the request may run: one still running after it
// was interrupted, and its outcome is unknown.
func (g *Guard) Do(ctx context.Context, workspace, key, hash string, lease time.Duration, run func() (Answer, bool)) (Answer, error) {
	waitUntil := g.Now().Add(g.Wait)
	for poll := 20 * time.Millisecond; ; poll = min(2*poll, 500*time.Millisecond) {
		now := g.Now()
		r, created, err := g.Store.BeginIdempotent(ctx, &ps.IdempotentRequest{Workspace: workspace, Key: key, RequestHash: hash,
			CreatedAt: now, Deadline: now.Add(lease)}, now.Add(-TTL))
		if err != nil {
			return Answer{}, err
		}
		if created {
			return g.run(ctx, workspace, key, run)
		}
		switch {
		case r.RequestHash != hash:
			return Answer{}, plugin.InvalidField("Idempotency-Key", "was used in the last 24 hours for another request; use a new key for new params")
		case r.State == "done":
			return Answer{Status: r.Status, Envelope: r.Envelope, Replayed: true}, nil
		case now.After(r.Deadline):
			return Answer{}, plugin.Errorf(plugin.RequestInProgress, "the first request with this Idempotency-Key was interrupted and LinkedIn may have received it; check before sending it again with a new key")
		case !now.Before(waitUntil):
			return Answer{}, plugin.Errorf(plugin.RequestInProgress, "a request with this Idempotency-Key is still running; ask again shortly for its answer")
		}
		select {
		case <-ctx.Done():
			return Answer{}, plugin.Errorf(plugin.RequestInProgress, "a request with this Idempotency-Key is still running")
		case <-time.After(poll):
		}
	}
}

func (g *Guard) run(ctx context.Context, workspace, key string, run func() (Answer, bool)) (Answer, error) {
	a, keep := run()
	// The answer is recorded even when the caller went away meanwhile.
	ctx = context.WithoutCancel(ctx)
	var err error
	if keep {
		err = g.Store.FinishIdempotent(ctx, workspace, key, a.Status, a.Envelope)
	} else {
		err = g.Store.ReleaseIdempotent(ctx, workspace, key)
	}
	return a, err
}
