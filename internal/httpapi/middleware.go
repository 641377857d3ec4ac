package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	ps "pluginserver"
	"pluginserver/internal/metrics"
	"pluginserver/plugin"
)

type ctxKey int

const requestKey ctxKey = 0

// requestInfo is what the request log says of a request: its id, and the
// caller authenticate finds later, on a request of its own that the log's
// request never sees. One value, so the request is copied once.
type requestInfo struct {
	id string
	// caller is who the API key says the caller is (authenticate).
	caller ps.Caller
	// outcome is the envelope's error code, or "ok"; "" until a handler
	// says (writeError, an execute's answer).
	outcome string
	// command is what an execute asked to run, cut to maxLoggedCommand;
	// execute marks an execute, counted by the metrics even when it
	// failed before its command was read.
	command string
	execute bool
	// bodyDue is when a read deadline of ours on the request's body
	// passes (readWithin); zero when none is set. net/http ends the
	// request's context when a read fails, a timeout included, so the
	// context ending once it passed is our deadline, not a hang-up.
	bodyDue time.Time
	// queued is how long a JSON execute waited for a worker and its CPU
	// turns; waited how long it waited with its turn given up: on
	// LinkedIn's answers (its own calls, a shared read's, the pauses
	// between an upload's checks). turned says they were measured.
	queued, waited time.Duration
	turned         bool
}

// maxLoggedCommand cuts a command name, and a datasource id, in the log:
// they are the caller's text until the catalog or the store has them.
const maxLoggedCommand = 64

func infoOf(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestKey).(*requestInfo)
	return info
}

// noteOutcome records how the request ended, for the log and the metrics.
func noteOutcome(ctx context.Context, outcome string) {
	if info := infoOf(ctx); info != nil {
		info.outcome = outcome
	}
}

// hungUp says the caller went away before being answered: the request's
// context ended (net/http ends it when the connection closes), and not by
// a deadline of ours. It is the one place that tells a hang-up from a
// failure: whatever failed with it (a call to LinkedIn cancelled, a wait
// for a worker, a share of a pool, a body cut short, an Idempotency-Key's
// twin) is nobody's failure. The server never ends a request's context
// itself, not even to shut down (it gives requests their grace), and sets
// no deadline on it: only a body's read deadline (bodyDue) is ours.
// Our deadline on a call to LinkedIn is the call's own context, below the
// request's, and stays LinkedIn's slowness (upstream_timeout).
func hungUp(r *http.Request) bool {
	if r.Context().Err() == nil {
		return false
	}
	info := infoOf(r.Context())
	return info == nil || info.bodyDue.IsZero() || time.Now().Before(info.bodyDue)
}

// callerGone says the caller hung up (hungUp), noting it for the request
// log and the metrics: the request is logged with status 499 and outcome
// caller_gone, and counted so, never as an error of ours or LinkedIn's.
// Nothing need be written: nobody is there to read it.
func callerGone(r *http.Request) bool {
	if !hungUp(r) {
		return false
	}
	noteOutcome(r.Context(), metrics.CallerGone)
	return true
}

func requestID(ctx context.Context) string {
	if info, ok := ctx.Value(requestKey).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// me says who the caller's key is: its workspace and role, so a console
// shows an admin's buttons only to admins.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r.Context())
	writeJSON(w, http.StatusOK, map[string]string{"workspace": c.Workspace, "role": string(c.Role)})
}

func callerOf(ctx context.Context) ps.Caller {
	if info := infoOf(ctx); info != nil {
		return info.caller
	}
	return ps.Caller{}
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// withRequestID takes a sane X-Request-Id from the caller or makes one.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey, &requestInfo{id: id})))
	})
}

// logRequests logs one line per request, and counts it in the metrics:
// the route pattern, never the path nor the query (the OAuth callback's
// carries a code) nor any header; the workspace, the datasource id of a
// datasource route, an execute's command, the outcome (the envelope's
// error code, or "ok") and the duration.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			if p := recover(); p != nil {
				// The panic value may quote a request, so it is not logged.
				s.Log.Error().Str("requestId", requestID(r.Context())).Str("route", chi.RouteContext(r.Context()).RoutePattern()).Msg("panic while serving")
				if ww.Status() == 0 {
					s.writeError(ww, r, plugin.Errorf(plugin.Internal, "internal error"))
				}
			}
			took := time.Since(start)
			route, datasource := "unmatched", ""
			if rc := chi.RouteContext(r.Context()); rc != nil {
				if p := s.routes.of(rc); p != "" {
					route = p
				}
				// The caller's text until the store finds it.
				if datasource = rc.URLParam("id"); len(datasource) > maxLoggedCommand {
					datasource = datasource[:maxLoggedCommand]
				}
			}
			status := ww.Status()
			answered := status != 0
			if status == 0 {
				status = http.StatusOK
			}
			info := infoOf(r.Context())
			if info == nil {
				info = &requestInfo{}
			}
			outcome := info.outcome
			if outcome == "" {
				outcome = "ok"
				if status >= 400 {
					outcome = "error"
				}
			}
			// A caller who hung up before being answered (or before
			// an answer that is not "ok") is logged and counted as
			// such, whatever failed with it; an execute that succeeded
			// first keeps its "ok", since LinkedIn did act.
			if outcome == metrics.CallerGone || (!answered || outcome != "ok") && hungUp(r) {
				status, outcome = metrics.StatusCallerGone, metrics.CallerGone
			}
			s.Metrics.Request(route, r.Method, status, info.caller.Workspace, took)
			if info.execute {
				s.Metrics.Execute(info.command, outcome, info.caller.Workspace, took)
			}
			line := s.Log.Info().Str("method", r.Method).Str("route", route).Int("status", status).
				Dur("duration", took).Str("requestId", info.id).
				Str("workspace", info.caller.Workspace)
			if datasource != "" {
				line = line.Str("datasource", datasource)
			}
			if info.execute {
				line = line.Str("command", info.command)
				if info.turned {
					line = line.Dur("queued", info.queued).Dur("linkedin", info.waited)
				}
			}
			line.Str("outcome", outcome).Msg("request")
		}()
		next.ServeHTTP(ww, r)
	})
}

// authenticate finds the caller from the API key. Keys are compared as
// SHA-256 digests in constant time against every configured key, so
// neither timing nor an early exit tells how much of a key was right.
func (s *Server) authenticate(next http.Handler) http.Handler {
	digests := make([][32]byte, len(s.APIKeys))
	for i, k := range s.APIKeys {
		digests[i] = sha256.Sum256([]byte(k.Key))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var caller ps.Caller
		found := false
		// The scheme's name is case-insensitive (RFC 9110).
		if scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			d := sha256.Sum256([]byte(key))
			for i := range digests {
				if subtle.ConstantTimeCompare(d[:], digests[i][:]) == 1 {
					caller, found = s.APIKeys[i].Caller, true
				}
			}
		} else if s.Anonymous && r.Header.Get("Authorization") == "" {
			caller, found = ps.Caller{Workspace: "default", Role: ps.RoleAdmin}, true
		}
		if !found {
			s.writeError(w, r, plugin.Errorf(plugin.Unauthenticated, "a valid API key is required: Authorization: Bearer <key>"))
			return
		}
		info := infoOf(r.Context())
		if info == nil { // withRequestID comes first on every route; a caller is never lost
			info = &requestInfo{}
			r = r.WithContext(context.WithValue(r.Context(), requestKey, info))
		}
		info.caller = caller
		next.ServeHTTP(w, r)
	})
}

// adminOnly refuses builders.
func (s *Server) adminOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if callerOf(r.Context()).Role != ps.RoleAdmin {
			s.writeError(w, r, plugin.Errorf(plugin.Forbidden, "only an admin key may do this"))
			return
		}
		next(w, r)
	}
}

// routePatterns keeps each route's pattern as chi gives it: chi joins and
// rewrites a route's patterns on every call, a percent of the server's CPU
// under load. The routes are the router's, so the map stays small.
type routePatterns struct {
	mu   sync.RWMutex
	seen map[routeKey]string
}

// routeKey is a route's patterns, up to four: an array of strings is a map
// key without an allocation, where a joined string would need one.
type routeKey [4]string

func (p *routePatterns) of(rc *chi.Context) string {
	var k routeKey
	if len(rc.RoutePatterns) > len(k) {
		return rc.RoutePattern()
	}
	copy(k[:], rc.RoutePatterns)
	p.mu.RLock()
	pattern, ok := p.seen[k]
	p.mu.RUnlock()
	if ok {
		return pattern
	}
	pattern = rc.RoutePattern()
	p.mu.Lock()
	if p.seen == nil {
		p.seen = map[routeKey]string{}
	}
	p.seen[k] = pattern
	p.mu.Unlock()
	return pattern
}
