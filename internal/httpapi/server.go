// Package httpapi is the server's HTTP API: routes.go lists every route; the
// handlers turn requests into calls on the store, the broker and the
// executor, and every error into the envelope's shape.
package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/internal/config"
	"pluginserver/internal/executor"
	"pluginserver/internal/idempotency"
	"pluginserver/internal/jsontext"
	"pluginserver/internal/metrics"
	"pluginserver/internal/share"
	"pluginserver/internal/workers"
	"pluginserver/oauthbroker"
	"pluginserver/plugin"
)

// Store is what the API needs from the store.
type Store interface {
	CreateDatasource(ctx context.Context, d *ps.Datasource) error
	Datasource(ctx context.Context, workspace, id string) (*ps.Datasource, error)
	Datasources(ctx context.Context, workspace string) ([]*ps.Datasource, error)
	UpdateDatasource(ctx context.Context, d *ps.Datasource) error
	DeleteDatasource(ctx context.Context, workspace, id string) error
	Ping(ctx context.Context) error
}

// Broker authorizes datasources.
type Broker interface {
	Authorize(ctx context.Context, ds *ps.Datasource, returnURL string) (string, time.Time, error)
	Callback(ctx context.Context, q url.Values) *oauthbroker.Outcome
	Disconnect(ctx context.Context, ds *ps.Datasource) (warning string, err error)
	SealClientSecret(datasourceID, secret string) []byte
}

// Executor runs commands.
type Executor interface {
	Execute(ctx context.Context, ds *ps.Datasource, req executor.Request) (*plugin.Envelope, error)
	// Options lists a field's choices for a datasource.
	Options(ctx context.Context, ds *ps.Datasource, command, field string) ([]plugin.Option, error)
	// VersionInUse is the API version calls carry when a datasource
	// pins none.
	VersionInUse(ctx context.Context, p *plugin.Plugin) string
}

// Server holds what the handlers use.
type Server struct {
	Store    Store
	Catalog  *catalog.Catalog
	Broker   Broker
	Executor Executor
	APIKeys  []config.APIKey
	// Anonymous lets calls without a key in as admin of workspace default;
	// only ever set when listening on loopback without keys.
	Anonymous bool
	// CORSOrigins may call the API from a browser (see guardBrowsers);
	// they are also the only cross-site origins an anonymous server serves.
	CORSOrigins []string
	// Sandbox is the LinkedIn emulator, served under /sandbox when set.
	Sandbox http.Handler
	Log     zerolog.Logger
	Now     func() time.Time
	// Idempotency runs executes that carry an Idempotency-Key once; a
	// request runs at most CallTimeout, or UploadTimeout with a file.
	Idempotency                *idempotency.Guard
	CallTimeout, UploadTimeout time.Duration
	// MaxBody caps JSON request bodies; MaxUpload those of commands that
	// carry a file in their params; MaxStream a file streamed as the body.
	MaxBody   int64
	MaxUpload int64
	MaxStream int64
	// Workers run JSON executes, a bounded number at once; nil runs each
	// on its connection's goroutine.
	Workers *workers.Pool
	// Turns share the CPU between workspaces: beside another workspace's
	// executes, an execute computes only in its workspace's turn (nil: no
	// turns).
	Turns *workers.Turns
	// Each workspace, and each datasource, may hold only its share of
	// these (nil: no limit): Executes are JSON executes running or
	// waiting for a worker, Uploads files streaming to LinkedIn, and
	// BodyMemory the bytes of request bodies held in memory.
	Executes, Uploads, BodyMemory *share.Pool
	// BodyTimeout bounds how long a JSON body may take to arrive.
	BodyTimeout time.Duration
	// Metrics count requests and executes and are served at /metrics
	// (nil: none); only to loopback callers unless MetricsPublic.
	Metrics       *metrics.Metrics
	MetricsPublic bool

	openAPIDoc []byte
	routes     routePatterns
}

// Default caps of request bodies.
const (
	DefaultMaxBody   = 1 << 20
	DefaultMaxUpload = 25 << 20
	// DefaultMaxStream is LinkedIn's largest video, 5 GB: a streamed file
	// is never held, only bounded in time by the upload timeout.
	DefaultMaxStream = 5 << 30
)

func orDefault(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(writeTime(0)))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeError answers in the envelope's shape, so a builder parses one shape
// whatever went wrong. Internal errors are logged and show no detail.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	// A caller who hung up is told nothing, and whatever failed with it
	// is nobody's fault (callerGone). A body that did not come in time
	// ended the request's context too, but by our deadline: that caller
	// may still be there, and is answered.
	if callerGone(r) {
		return
	}
	e := plugin.AsError(err)
	if e.Code == plugin.Internal && r.Context().Err() == nil {
		s.Log.Error().Err(err).Str("requestId", requestID(r.Context())).Msg("internal error")
	}
	noteOutcome(r.Context(), string(e.Code))
	s.writeEnvelope(w, r, &plugin.Envelope{Headers: map[string]string{}, Error: e, Meta: plugin.Meta{RequestID: requestID(r.Context())}})
}

func (s *Server) writeEnvelope(w http.ResponseWriter, r *http.Request, env *plugin.Envelope) {
	s.writeReply(w, replyOf(env))
}

// An error may echo what the caller sent (a property's name, a value in
// its message): what it echoes is cut to these, so a megabyte-long name is
// not sent back, logged or stored whole.
const (
	maxEchoedField   = 256
	maxEchoedMessage = 1024
	maxProblems      = 100
)

// bounded is e with its field names and messages cut to what an error
// may echo, and at most maxProblems fields; e itself when within them.
func bounded(e *plugin.Error) *plugin.Error {
	within := len(e.Message) <= maxEchoedMessage && len(e.Fields) <= maxProblems
	for _, f := range e.Fields {
		within = within && len(f.Field) <= maxEchoedField && len(f.Message) <= maxEchoedMessage
	}
	if within {
		return e
	}
	c := *e
	c.Message = cutText(e.Message, maxEchoedMessage)
	c.Fields = make([]plugin.FieldProblem, 0, min(len(e.Fields), maxProblems))
	for _, f := range e.Fields[:min(len(e.Fields), maxProblems)] {
		c.Fields = append(c.Fields, plugin.FieldProblem{Field: cutText(f.Field, maxEchoedField), Message: cutText(f.Message, maxEchoedMessage)})
	}
	return &c
}

// cutText cuts s to at most n bytes on a character boundary, marking the
// cut with "…".
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-len("…")]
	for len(s) > 0 { // drop a character the cut split
		if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size > 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s + "…"
}

// decodeJSON reads a JSON body strictly: one object, no unknown fields,
// within the size limit. An empty body is allowed when optional.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	held, err := s.readHeld(w, r, bodyOwners(callerOf(r.Context()).Workspace, ""), orDefault(s.MaxBody, DefaultMaxBody), nil)
	defer held.release()
	if err != nil {
		return err
	}
	if problem := jsontext.Check(held.raw); problem != nil {
		return plugin.InvalidField(cmp.Or(problem.Field, "body"), "%s", problem.Message)
	}
	return decodeStrict(held.raw, v, optional)
}

func tooLargeError(limit int64) error {
	return plugin.Errorf(plugin.PayloadTooLarge, "the request body is larger than %d bytes", limit)
}

func decodeStrict(body []byte, v any, optional bool) error {
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return plugin.InvalidField("body", "must hold one JSON object")
	}
	return nil
}

// jsonError names the field a decoding error is about.
func jsonError(err error) error { return plugin.JSONError("", err) }
