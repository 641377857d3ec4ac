// Package executor runs a command against a datasource: validate the form,
// build the request, send it through the proxy with the member's token, and
// map LinkedIn's answer into the envelope.
package executor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/internal/workers"
	"pluginserver/plugin"
	"pluginserver/schema"
)

// Tokens hands out a datasource's access token and hears when LinkedIn
// refuses one.
type Tokens interface {
	AccessToken(ctx context.Context, ds *ps.Datasource) (ps.Access, error)
	// Rejected returns a new token when the refused one could be renewed.
	Rejected(ctx context.Context, ds *ps.Datasource, used ps.Access, why string) (ps.Access, error)
}

// Sender sends a call with a token.
type Sender interface {
	Do(ctx context.Context, c *plugin.Call, token string) (*plugin.Response, error)
}

// Breaker pauses a datasource's calls after repeated failures of
// LinkedIn's. Failed's api says the call went to LinkedIn's API host, not
// to an upload URL: only the API host's failures may be taken for a
// LinkedIn-wide outage.
type Breaker interface {
	Allow(datasource string) error
	Succeeded(datasource string)
	Failed(workspace, datasource string, api bool)
}

// Executor runs commands.
type Executor struct {
	Catalog  *catalog.Catalog
	Tokens   Tokens
	Sender   Sender
	Settings func(ds *ps.Datasource) plugin.Settings
	// Limiter, when set, spaces each datasource's calls to a rate, the
	// ones over it waiting their turn (limits.go).
	Limiter Limiter
	// Quota, when set, remembers LinkedIn's limits known to be reached,
	// so a call over one is refused before it is sent (limits.go).
	Quota Quota
	// Now is the limits' clock; nil is time.Now.
	Now func() time.Time
	// Breaker, when set, pauses a datasource's calls after LinkedIn's
	// failures.
	Breaker Breaker
	// AppOf names a datasource's LinkedIn app, whose limits it shares.
	AppOf func(ds *ps.Datasource) string
	// CallTimeout bounds a command's call to LinkedIn, retries included;
	// UploadTimeout does for commands that carry a file.
	CallTimeout, UploadTimeout time.Duration
	// OnProgress, when set, hears how far a multi-part upload got.
	OnProgress func(ds *ps.Datasource, command string, p plugin.UploadProgress)
	// Learned, when set, shares what is learnt about a service (the API
	// version it accepts) with every replica.
	Learned Learned
	// OnVersion, when set, hears once that a plugin's calls now carry an
	// older API version, and whether storing it failed.
	OnVersion func(pluginID, retired, version string, stored error)
	// OnCall, when set, hears every call sent to the service: the
	// command it is for (OptionsCall for listing a field's choices), the
	// status answered (0 when no answer came, err then says why) and how
	// long it took, the proxy's retries included.
	OnCall func(command string, status int, d time.Duration, err error)
	// OnLimit, when set, hears each call refused before sending because a
	// limit is reached, by scope: "member", "app", "datasource" (a limit
	// of the service's known reached) or "rate" (Limiter).
	OnLimit func(scope string)

	versions versionCache
	options  optionCache
	// flights shares identical reads in flight, reads keeps their answers
	// for datasources that ask for it (coalesce.go, readcache.go).
	flights flights
	reads   readCache
}

// OptionsCall is the command OnCall names for the calls that list a
// field's choices.
const OptionsCall = "options"

// do sends one call and tells OnCall.
func (e *Executor) do(ctx context.Context, command string, c *plugin.Call, token string) (*plugin.Response, error) {
	// The call waits on LinkedIn: others compute meanwhile.
	var resp *plugin.Response
	var err error
	start := time.Now()
	workers.Outside(ctx, func() { resp, err = e.Sender.Do(ctx, c, token) })
	if e.OnCall == nil {
		return resp, err
	}
	status := 0
	if err == nil && resp != nil {
		status = resp.Status
	}
	e.OnCall(command, status, time.Since(start), err)
	return resp, err
}

// Request is one execution.
type Request struct {
	Command   string
	Params    json.RawMessage
	DryRun    bool
	RequestID string
	// File is a file streamed as the request's body, for commands that
	// take one.
	File *plugin.File
	// NoCache skips the datasource's read cache (Cache-Control: no-cache);
	// the answer LinkedIn gives refreshes it.
	NoCache bool
	// OnCacheHit, when set, hears the age of an answer that came from the
	// read cache.
	OnCacheHit func(age time.Duration)
}

// Execute always answers with an envelope; its Error says what went wrong.
// Internal errors are returned too, for the log, and show no detail.
func (e *Executor) Execute(ctx context.Context, ds *ps.Datasource, req Request) (*plugin.Envelope, error) {
	start := time.Now()
	env := &plugin.Envelope{Headers: map[string]string{}, Meta: plugin.Meta{Command: req.Command, RequestID: req.RequestID, DryRun: req.DryRun}}
	err := e.execute(ctx, ds, req, env)
	if err != nil {
		env.Error = plugin.AsError(err)
		if env.Error.Code != plugin.Internal {
			err = nil
		}
	}
	env.Meta.DurationMs = time.Since(start).Milliseconds()
	return env, err
}

func (e *Executor) execute(ctx context.Context, ds *ps.Datasource, req Request, env *plugin.Envelope) error {
	p, err := e.Catalog.Plugin(ds.Plugin)
	if err != nil {
		return err
	}
	cmd, validator, err := e.Catalog.Command(ds.Plugin, req.Command)
	if err != nil {
		return err
	}
	params := req.Params
	if len(bytes.TrimSpace(params)) == 0 || bytes.Equal(bytes.TrimSpace(params), []byte("null")) {
		params = json.RawMessage("{}")
	}
	// Normalize reads only documents within the shape limits; Validate
	// reports the others.
	if cmd.Normalize != nil && schema.Shape(params) == "" {
		if params, err = cmd.Normalize(params); err != nil {
			return err
		}
	}
	if problems := validator.Validate(params); problems != nil {
		for i := range problems {
			if problems[i].Field == "" {
				problems[i].Field = "params"
			}
		}
		return plugin.InvalidFields(problems)
	}
	settings := e.settings(ctx, p, ds)
	var call *plugin.Call
	var file plugin.File
	if req.File != nil {
		file = *req.File
		file.Body = &countingReader{r: file.Body}
	}
	switch {
	case req.File != nil && cmd.Run != nil:
		// A multi-call command: its first call is what a dry run shows.
		call = &plugin.Call{Stream: file.Body, Length: file.Length}
	case req.File != nil && cmd.Stream == nil:
		return plugin.InvalidField("body", "%s takes JSON, not a file", cmd.ID)
	case req.File != nil:
		call, err = cmd.Stream(ctx, params, settings, &file)
	default:
		call, err = cmd.Build(ctx, params, settings)
	}
	if err != nil {
		return err
	}
	if req.DryRun && cmd.Run != nil {
		out := map[string]any{"steps": cmd.Steps, "first": dryRun(call)}
		if req.File != nil {
			out = map[string]any{"steps": cmd.Steps, "bodyBytes": file.Length}
		}
		env.Output = plugin.MarshalPlain(out)
		return nil
	}
	if req.DryRun {
		env.Output = dryRun(call)
		return nil
	}
	if cmd.Read && req.File == nil {
		return e.read(ctx, p, ds, cmd, params, settings, call, req, env)
	}
	return e.send(ctx, p, ds, cmd, params, settings, call, &file, env)
}

// send carries out a command whose request is built: the limits, the
// token, the call (or calls) and the answer's mapping into env.
func (e *Executor) send(ctx context.Context, p *plugin.Plugin, ds *ps.Datasource, cmd *plugin.Command, params json.RawMessage, settings plugin.Settings, call *plugin.Call, file *plugin.File, env *plugin.Envelope) error {
	timeout := e.CallTimeout
	if cmd.Upload {
		timeout = e.UploadTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if e.Breaker != nil {
		if err := e.Breaker.Allow(ds.ID); err != nil {
			return err
		}
	}
	if err := e.checkLimits(ctx, p, ds, cmd, call); err != nil {
		return err
	}
	access, err := e.Tokens.AccessToken(ctx, ds)
	if err != nil {
		return err
	}
	if err := e.checkOptions(ctx, p, ds, cmd, params); err != nil {
		return err
	}
	if !cmd.Read {
		// A write, sent whatever comes of it: the datasource's reads
		// kept or in flight may no longer be what LinkedIn would say.
		e.wrote(ds)
		defer e.wrote(ds)
	}
	var resp *plugin.Response
	// last is the call resp answers.
	var last *plugin.Call
	if cmd.Run != nil {
		send := func(ctx context.Context, c *plugin.Call) (*plugin.Response, error) {
			if err := e.checkEndpoint(ctx, p, ds, c); err != nil {
				return nil, err
			}
			resp, err := e.sendVersioned(ctx, p, ds, cmd.ID, settings.Version, c, access.Token)
			e.record(ctx, ds, settings, c, file.Body, resp, err)
			if err == nil {
				last = c
			}
			return resp, err
		}
		progress := func(sent, total int64) {
			p := plugin.UploadProgress{SentBytes: sent, TotalBytes: total}
			if env.Meta.Progress != nil {
				p.Parts = env.Meta.Progress.Parts
			}
			p.Parts++
			env.Meta.Progress = &p
			if e.OnProgress != nil {
				e.OnProgress(ds, cmd.ID, p)
			}
		}
		resp, err = cmd.Run(ctx, params, settings, file, send, progress)
	} else {
		resp, err = e.sendVersioned(ctx, p, ds, cmd.ID, settings.Version, call, access.Token)
		e.record(ctx, ds, settings, call, call.Stream, resp, err)
		last = call
	}
	if cut, ok := call.Stream.(*countingReader); ok {
		if err := cut.check(call.Length); err != nil {
			// The caller's file ended early: LinkedIn did not get it all,
			// whatever it answered.
			return err
		}
	}
	if err != nil {
		return err
	}
	if resp.Status == http.StatusUnauthorized && last != nil && last.Upload {
		// An upload URL belongs to the member who registered it and
		// expires; its 401 says nothing about the datasource's token.
		describe(env, resp)
		return plugin.Errorf(plugin.LinkedInRejected, "the upload URL refused the upload (HTTP 401): upload URLs expire and belong to the member who registered them; register the upload again with this datasource")
	}
	if resp.Status == http.StatusUnauthorized {
		resp, err = e.retryRefused(ctx, p, ds, cmd.ID, call, access, resp)
		if err != nil {
			describe(env, resp)
			return err
		}
	}
	describe(env, resp)
	if resp.Status >= 300 {
		refused := upstreamError(p, resp)
		if refused.Code == plugin.RateLimited && refused.RetryAfter == 0 {
			// LinkedIn names no Retry-After; the limit it named says when.
			refused.RetryAfter = e.untilLimitsReset(ctx, ds, resp)
		}
		return refused
	}
	if err := unpromised(resp); err != nil {
		return err
	}
	if cmd.Map != nil {
		env.Output = cmd.Map(resp)
	}
	return nil
}

// unpromised refuses a success that is not what LinkedIn promises: a body
// that is not JSON (an HTML page, JSON cut short) or a 200 with no body.
func unpromised(resp *plugin.Response) error {
	body := bytes.TrimSpace(resp.Body)
	switch {
	case len(body) == 0 && resp.Status == http.StatusOK:
		return plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn answered HTTP 200 with an empty body")
	case len(body) > 0 && !json.Valid(body):
		return plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn answered HTTP %d with %d bytes that are not JSON (an error page, or an answer cut short)", resp.Status, len(body))
	}
	return nil
}

// record tells the limits every answer, and the breaker whether LinkedIn
// itself failed. Only LinkedIn's own failures count: a 5xx, a connection
// it refused or broke, an answer that did not come in time. A caller who
// hung up, a file the caller cut short, and anything refused before
// sending count for nothing. The breaker hears whether call went to
// LinkedIn's API host: an upload host's failures pause the datasource's
// own calls after enough of them, never everyone's.
func (e *Executor) record(ctx context.Context, ds *ps.Datasource, settings plugin.Settings, call *plugin.Call, stream io.Reader, resp *plugin.Response, err error) {
	if err == nil {
		e.observeLimits(ds, resp)
	}
	if e.Breaker == nil {
		return
	}
	switch {
	case err == nil && resp.Status < 500:
		e.Breaker.Succeeded(ds.ID)
	case err == nil:
		e.Breaker.Failed(ds.Workspace, ds.ID, toAPI(settings, call))
	case errors.Is(ctx.Err(), context.Canceled), errors.Is(err, context.Canceled), callerFailed(stream):
		// the caller's doing
	case unreachable(err):
		e.Breaker.Failed(ds.Workspace, ds.ID, toAPI(settings, call))
	}
}

// toAPI says a call went to LinkedIn's API host: not an upload URL (which
// may be on the same host), and on the host of the API's root.
func toAPI(settings plugin.Settings, call *plugin.Call) bool {
	return call != nil && !call.Upload && call.URL != nil && settings.APIURL != nil &&
		strings.EqualFold(call.URL.Host, settings.APIURL.Host)
}

// unreachable says a call failed for want of LinkedIn: it could not be
// reached, broke the connection, or did not answer in time.
func unreachable(err error) bool {
	code := plugin.AsError(err).Code
	return code == plugin.UpstreamUnavailable || code == plugin.UpstreamTimeout
}

// retryRefused handles LinkedIn's 401 to a token we believed valid: the
// token is renewed when it can be, and only a read is sent again, since a
// write may not be repeated behind the builder's back.
func (e *Executor) retryRefused(ctx context.Context, p *plugin.Plugin, ds *ps.Datasource, command string, call *plugin.Call, used ps.Access, refused *plugin.Response) (*plugin.Response, error) {
	why := "HTTP 401"
	if p.Explain != nil {
		if msg := p.Explain(refused); msg != "" {
			why = msg
		}
	}
	fresh, err := e.Tokens.Rejected(ctx, ds, used, why)
	if err != nil {
		return refused, err
	}
	if call.Method != http.MethodGet && call.Method != http.MethodHead {
		return refused, plugin.Errorf(plugin.AuthorizationRequired, "LinkedIn refused the token (%s); it has been refreshed, so run the command again (a write is never repeated automatically)", why)
	}
	resp, err := e.do(ctx, command, call, fresh.Token)
	if err != nil {
		return refused, err
	}
	return resp, nil
}

// describe puts LinkedIn's answer into the envelope.
func describe(env *plugin.Envelope, resp *plugin.Response) {
	env.Status = resp.Status
	env.Headers = usefulHeaders(resp.Header)
	env.Meta.LinkedInRequestID = resp.Header.Get("X-Li-Uuid")
	env.Output = output(resp.Body)
}

// upstreamError maps LinkedIn's refusal to an envelope code; its body stays
// in output.
func upstreamError(p *plugin.Plugin, resp *plugin.Response) *plugin.Error {
	why := ""
	if p.Explain != nil {
		why = p.Explain(resp)
	}
	say := func(code plugin.Code, what string) *plugin.Error {
		msg := what + " (HTTP " + strconv.Itoa(resp.Status) + ")"
		if why != "" {
			msg += ": " + why
		}
		return &plugin.Error{Code: code, Message: msg}
	}
	switch s := resp.Status; {
	case s == http.StatusUnauthorized:
		return say(plugin.AuthorizationRequired, "LinkedIn no longer accepts this datasource's token; an admin must click Authorize")
	case s == http.StatusTooManyRequests:
		e := say(plugin.RateLimited, "LinkedIn's rate limit was reached")
		e.RetryAfter, _ = strconv.Atoi(resp.Header.Get("Retry-After"))
		return e
	case s >= 500:
		return say(plugin.UpstreamUnavailable, "LinkedIn failed")
	}
	return say(plugin.LinkedInRejected, "LinkedIn refused the request")
}

// maxTextOutput caps a non-JSON answer (an error page) in the envelope.
const maxTextOutput = 4 << 10

// output is a JSON answer as it came, any other text as a JSON string,
// capped.
func output(body []byte) json.RawMessage {
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return nil
	case json.Valid(body):
		return body
	case len(body) > maxTextOutput:
		body = append(body[:maxTextOutput:maxTextOutput], "…"...)
	}
	return plugin.MarshalPlain(string(body))
}

// usefulHeaders are LinkedIn's headers a builder may need, lower-case and
// never a cookie.
func usefulHeaders(h http.Header) map[string]string {
	out := make(map[string]string, 4)
	for _, k := range keptHeaders {
		if v := h[k.canonical]; len(v) > 0 && v[0] != "" {
			out[k.lower] = v[0]
		}
	}
	return out
}

// keptHeaders are the headers of LinkedIn's answer an envelope keeps,
// under the names http.Header files them and the envelope gives them.
var keptHeaders = func() (kept []struct{ canonical, lower string }) {
	for _, k := range []string{"Content-Type", "Location", "Retry-After", "X-Restli-Id", "X-Li-Uuid", "X-Linkedin-Id", "Linkedin-Version", "X-Restli-Gateway-Error"} {
		kept = append(kept, struct{ canonical, lower string }{http.CanonicalHeaderKey(k), strings.ToLower(k)})
	}
	return kept
}()

// dryRun describes the request that would be sent, token redacted.
func dryRun(c *plugin.Call) json.RawMessage {
	headers := map[string]string{"Authorization": "Bearer [REDACTED]"}
	for k := range c.Header {
		headers[k] = c.Header.Get(k)
	}
	out := map[string]any{"method": c.Method, "url": c.URL.String(), "headers": headers, "body": nil}
	switch {
	case c.Stream != nil:
		out["bodyBytes"] = c.Length
	case len(c.Body) == 0:
	case json.Valid(c.Body):
		out["body"] = json.RawMessage(c.Body)
	case utf8.Valid(c.Body) && !strings.HasPrefix(c.Header.Get("Content-Type"), "image/") && !strings.HasPrefix(c.Header.Get("Content-Type"), "video/"):
		out["body"] = string(c.Body)
	default:
		out["bodyBytes"] = len(c.Body)
	}
	return plugin.MarshalPlain(out)
}

// countingReader counts a streamed file's bytes and keeps its read error,
// so a file cut short is told apart from LinkedIn's failure. The HTTP
// transport may still be reading when LinkedIn's answer arrives early, so
// what it counts is guarded.
type countingReader struct {
	r   io.Reader
	mu  sync.Mutex
	n   int64
	err error
	eof bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += int64(n)
	switch {
	case err == io.EOF:
		c.eof = true
	case err != nil:
		c.err = err
	}
	return n, err
}

// callerFailed says the caller's file stopped arriving (cut off, too
// large, too slow): its read broke the call, not LinkedIn.
func callerFailed(stream io.Reader) bool {
	c, ok := stream.(*countingReader)
	if !ok {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil
}

func (c *countingReader) check(length int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.err != nil:
		var tooLarge *http.MaxBytesError
		if errors.As(c.err, &tooLarge) {
			return plugin.Errorf(plugin.PayloadTooLarge, "the file is larger than %d bytes", tooLarge.Limit)
		}
		return plugin.InvalidField("file", "was cut off after %d bytes; the upload is not done", c.n)
	case length >= 0 && c.eof && c.n != length:
		// The file ended before its length; a read stopped early because
		// LinkedIn refused is not the file's fault.
		return plugin.InvalidField("file", "has %d bytes where its length says %d; the upload is not done", c.n, length)
	}
	return nil
}
