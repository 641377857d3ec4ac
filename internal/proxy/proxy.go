// Package proxy is the one layer that sends requests to LinkedIn: it adds
// the token, never follows a redirect, caps what it reads, retries what is
// safe to retry, and turns transport failures into the envelope's codes.
package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"pluginserver/internal/share"
	"pluginserver/internal/wait"
	"pluginserver/plugin"
)

// Proxy sends calls with a member's token.
type Proxy struct {
	// Client's Transport sends the calls; its redirect policy, cookie jar
	// and timeout play no part (see roundTrip).
	Client *http.Client
	// left counts the calls left to end on their own (doUntilGone).
	left atomic.Int64
	// UploadClient, when set, sends the calls that carry a file to an
	// upload URL, on connections of its own: a crowd of slow uploads
	// then waits for its own connections and never for those of API
	// calls.
	UploadClient *http.Client
	// MaxBody caps how much of an answer is read.
	MaxBody int64
	// Retry says how reads are retried; the zero value is DefaultRetry.
	Retry Retry
	// Sleep waits between attempts; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Retry is a bounded exponential backoff with jitter.
type Retry struct {
	Attempts int
	Base     time.Duration
	Max      time.Duration
}

// DefaultRetry tries a read three times, waiting about 200 ms then 400 ms.
var DefaultRetry = Retry{Attempts: 3, Base: 200 * time.Millisecond, Max: 2 * time.Second}

// DefaultMaxBody is more than any LinkedIn JSON answer.
const DefaultMaxBody = 8 << 20

// NewClient is an HTTP client for LinkedIn: pooled connections, a bounded
// connect, and redirects returned rather than followed, so the token never
// travels to a host we did not choose. The whole call is bounded by the
// caller's context, so uploads can be given longer than reads.
func NewClient(connectTimeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	// Callers beyond this wait for a connection instead of each opening
	// one, which bounds memory under a burst of callers.
	t.MaxConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.TLSHandshakeTimeout = connectTimeout
	t.DialContext = (&net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Do sends the call with the token and reads the whole answer. A read
// (GET, HEAD) is sent again after a connection failure or a 502, 503 or
// 504; any call is sent again when the connection was never made, since
// LinkedIn then received nothing. A write that may have reached LinkedIn is
// never repeated.
func (p *Proxy) Do(ctx context.Context, c *plugin.Call, token string) (*plugin.Response, error) {
	policy := p.Retry
	if policy.Attempts == 0 {
		policy = DefaultRetry
	}
	read := c.Method == http.MethodGet || c.Method == http.MethodHead
	if c.Stream != nil {
		// A stream is consumed by the first attempt.
		policy.Attempts = 1
	}
	wait := policy.Base
	for attempt := 1; ; attempt++ {
		resp, transient, err := p.once(ctx, c, token)
		again := false
		switch {
		case err != nil:
			again = transient && (read || !plugin.AsError(err).MaybeSent)
		case read:
			again = resp.Status == http.StatusBadGateway || resp.Status == http.StatusServiceUnavailable || resp.Status == http.StatusGatewayTimeout
		}
		if !again || attempt >= policy.Attempts || ctx.Err() != nil {
			return resp, err
		}
		// Full jitter keeps replicas from retrying in step.
		d := time.Duration(rand.Int64N(int64(wait))) + wait/2
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
			return resp, err
		}
		if p.sleep(ctx, d) != nil {
			return resp, err
		}
		wait = min(2*wait, policy.Max)
	}
}

func (p *Proxy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return wait.Sleep(ctx, d)
}

// once sends the call one time. transient says a failure was the
// connection's, which another attempt may not meet.
func (p *Proxy) once(ctx context.Context, c *plugin.Call, token string) (resp *plugin.Response, transient bool, err error) {
	var send io.Reader = bytes.NewReader(c.Body)
	if c.Stream != nil {
		send = io.NopCloser(c.Stream) // hides the type, so ContentLength below is what is sent
	}
	reqCtx, stop := detached(ctx, c.Stream != nil)
	var left bool // the caller hung up: the call ends on its own, and stops itself
	defer func() {
		if !left {
			stop()
		}
	}()
	// The call's URL is parsed already; printing it to parse it again
	// would cost every call.
	req, err := http.NewRequestWithContext(reqCtx, c.Method, "", send)
	if err != nil {
		return nil, false, fmt.Errorf("build request: %w", err)
	}
	req.URL, req.Host = c.URL, c.URL.Host
	if c.Stream != nil {
		req.ContentLength = max(c.Length, -1)
	}
	req.Header = make(http.Header, len(c.Header)+1)
	for k, v := range c.Header {
		if err := checkHeader(k, v); err != nil {
			// The transport would refuse it too, but as a failed
			// connection: this is our refusal, not LinkedIn's failure.
			return nil, false, err
		}
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	client := p.Client
	if c.Upload && p.UploadClient != nil {
		client = p.UploadClient
	}
	var answer *http.Response
	var body []byte // read with the call when small
	if c.Stream != nil {
		// A file streams from the caller: when the caller goes, the
		// stream ends and so does the call, on its own, and the file
		// cut short is told apart from LinkedIn's failure.
		answer, err = roundTrip(client, req)
	} else {
		answer, body, left, err = p.doUntilGone(ctx, client, req, stop)
	}
	if cut := (*answerCut)(nil); errors.As(err, &cut) {
		return nil, true, transportError(ctx, cut.err, true)
	}
	if err != nil {
		return nil, true, transportError(ctx, err, false)
	}
	defer answer.Body.Close()
	limit := p.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	if body == nil {
		if c.Stream == nil {
			// The call carries no deadline of its own (detached).
			defer context.AfterFunc(ctx, stop)()
		}
		body, err = readAnswer(ctx, answer, limit)
	}
	if pe := (*plugin.Error)(nil); errors.As(err, &pe) {
		return nil, false, err
	}
	if err != nil {
		return nil, true, transportError(ctx, err, true)
	}
	if int64(len(body)) > limit {
		return nil, false, &plugin.Error{Code: plugin.UpstreamUnavailable, MaybeSent: true,
			Message: fmt.Sprintf("LinkedIn's answer was larger than %d bytes", limit)}
	}
	return &plugin.Response{Status: answer.StatusCode, Header: answer.Header, Body: body, Duration: time.Since(start), Call: c}, false, nil
}

// detached is the context a call goes to LinkedIn with: never ctx's
// cancellation, which doUntilGone handles, and ctx's deadline. A stream's
// context carries the deadline itself. Any other call is cancelled by
// doUntilGone at the deadline, or by a timer it starts only when the
// caller hangs up, and the body of a large answer, read after doUntilGone,
// when ctx ends: a timer for every call was a fiftieth of createPost's
// CPU. (Cancelling a read of a body cannot close a pooled connection: the
// connection goes back to the pool only once its body is read.)
//
// Go's transport gives a connection whose answer had no body (a create's
// 201, a delete's 204) back to its pool before it hands the answer to the
// call; a cancellation landing in between closed the connection under the
// next call that took it, which failed as "cancelled" though its own
// caller was there (about one call in 50,000 under hang-ups: a post made,
// its answer lost). A call whose caller hung up is therefore left to end
// on its own, never cancelled.
func detached(ctx context.Context, stream bool) (context.Context, func()) {
	if deadline, ok := ctx.Deadline(); ok && stream {
		return context.WithDeadline(context.WithoutCancel(ctx), deadline)
	}
	call, stop := context.WithCancel(context.WithoutCancel(ctx))
	return call, stop
}

// maxLeft bounds the calls left to end on their own after their callers
// hung up, the server's whole: past it, such a call is cancelled at once,
// as any call was before, so callers who hang up on purpose while LinkedIn
// is slow cannot hold the connections to it that others need.
const maxLeft = 64

// doUntilGone sends req and returns its answer, with its body read when
// it announced at most smallAnswer bytes (most answers, which need no
// share of memory), or ctx's error as soon as ctx ends. At ctx's deadline,
// stop cancels the call. When the caller hung up, the call ends on its
// own, within the deadline, and its answer is read and dropped so its
// connection goes back to the pool; stop is called then. Past maxLeft such
// calls, stop is called at once, cancelling it.
func (p *Proxy) doUntilGone(ctx context.Context, client *http.Client, req *http.Request, stop func()) (answer *http.Response, body []byte, left bool, err error) {
	type result struct {
		answer *http.Response
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		answer, err := roundTrip(client, req)
		if err == nil && answer.ContentLength >= 0 && answer.ContentLength <= smallAnswer && req.Method != http.MethodHead {
			n := answer.ContentLength
			body := make([]byte, n)
			if _, err = io.ReadFull(answer.Body, body); err == nil {
				done <- result{answer, body, nil}
				return
			}
			answer.Body.Close()
			err = &answerCut{err}
		}
		done <- result{answer, nil, err}
	}()
	select {
	case r := <-done:
		return r.answer, r.body, false, r.err
	case <-ctx.Done():
		if ctx.Err() == context.DeadlineExceeded || !p.leave() {
			stop()
			if r := <-done; r.err == nil {
				r.answer.Body.Close()
			}
			return nil, nil, false, context.Cause(ctx)
		}
		var timeUp *time.Timer
		if deadline, ok := ctx.Deadline(); ok {
			timeUp = time.AfterFunc(time.Until(deadline), stop)
		}
		go func() {
			defer p.left.Add(-1)
			defer stop()
			if r := <-done; r.err == nil {
				io.Copy(io.Discard, io.LimitReader(r.answer.Body, DefaultMaxBody))
				r.answer.Body.Close()
			}
			if timeUp != nil {
				timeUp.Stop()
			}
		}()
		return nil, nil, true, context.Cause(ctx)
	}
}

// smallAnswer is the largest answer doUntilGone reads with its call: far
// below freeAnswer, what an answer may hold without its caller's share.
const smallAnswer = 16 << 10

// answerCut is an answer whose announced body did not all arrive: it had
// begun to arrive, so LinkedIn received the call.
type answerCut struct{ err error }

func (e *answerCut) Error() string { return e.err.Error() }
func (e *answerCut) Unwrap() error { return e.err }

// leave counts a call left to end on its own after its caller hung up,
// unless maxLeft are already.
func (p *Proxy) leave() bool {
	if p.left.Add(1) > maxLeft {
		p.left.Add(-1)
		return false
	}
	return true
}

// roundTrip sends req once on client's transport. A redirect is
// LinkedIn's answer, never followed, so the token goes to no host we did
// not choose; a call is bounded by its context, not a client's timeout.
// client.Do would do the same for a client from NewClient, after cloning
// every request's headers for a redirect that never comes.
func roundTrip(client *http.Client, req *http.Request) (*http.Response, error) {
	t := client.Transport
	if t == nil {
		t = http.DefaultTransport
	}
	return t.RoundTrip(req)
}

// freeAnswer is what an answer may hold without counting against its
// caller's share of memory: most answers, which the connections bound.
const freeAnswer = 64 << 10

// readAnswer reads at most limit+1 bytes of an answer, into a buffer of
// the announced size when there is one. An answer to HEAD announces the
// size of a body it does not carry. Past freeAnswer, what it holds is
// taken from the caller's account (share.AccountFrom) before it is read,
// so answers a workspace's callers have not yet been written cannot hold
// more of the server's memory than its share: a caller over it waits, and
// is refused when its call's time is up.
func readAnswer(ctx context.Context, answer *http.Response, limit int64) ([]byte, error) {
	acct := share.AccountFrom(ctx)
	if n := answer.ContentLength; n >= 0 && n <= limit && answer.Request.Method != http.MethodHead {
		if err := acct.Take(ctx, n-freeAnswer); err != nil {
			return nil, tooMuch(n)
		}
		body := make([]byte, n)
		_, err := io.ReadFull(answer.Body, body)
		return body, err
	}
	var buf bytes.Buffer
	step := int64(freeAnswer)
	for {
		step = min(step, limit+1-int64(buf.Len()))
		if buf.Len() > 0 {
			if err := acct.Take(ctx, step); err != nil {
				return nil, tooMuch(int64(buf.Len()))
			}
		}
		buf.Grow(int(step))
		n, err := buf.ReadFrom(io.LimitReader(answer.Body, step))
		if err != nil || n < step || int64(buf.Len()) > limit {
			return buf.Bytes(), err
		}
		step = int64(buf.Len()) // doubles what is held
	}
}

// tooMuch is the refusal of an answer that does not fit the caller's
// share of memory now.
func tooMuch(n int64) error {
	return &plugin.Error{Code: plugin.RateLimited, RetryAfter: 1, MaybeSent: true,
		Message: fmt.Sprintf("LinkedIn's answer (%d bytes or more) does not fit this workspace's share of the server's memory now, held by answers not yet sent; try again shortly", n)}
}

// transportError names what failed; answered says LinkedIn's answer had
// begun to arrive. Only a failure to connect proves LinkedIn received
// nothing; anything later may have been received. A call whose context was
// cancelled, rather than timed out, was given up by its caller (who hung
// up): its error is also context.Canceled (errors.Is), so that nobody
// counts it as LinkedIn's failure.
func transportError(ctx context.Context, err error, answered bool) error {
	var op *net.OpError
	dial := errors.As(err, &op) && op.Op == "dial"
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return &plugin.Error{Code: plugin.UpstreamTimeout, Message: "LinkedIn did not answer in time", MaybeSent: answered || !dial}
	case ctx.Err() != nil:
		return &Cancelled{&plugin.Error{Code: plugin.UpstreamUnavailable, MaybeSent: answered || !dial,
			Message: "the call was cancelled before LinkedIn answered: the caller hung up"}}
	case dial && !answered:
		return &plugin.Error{Code: plugin.UpstreamUnavailable, Message: "LinkedIn could not be reached"}
	}
	return &plugin.Error{Code: plugin.UpstreamUnavailable, Message: "the connection to LinkedIn failed (" + brokenBy(err) + ")", MaybeSent: true}
}

// brokenBy says how a connection to LinkedIn broke, without the URL the
// transport's error names.
func brokenBy(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "LinkedIn reset it"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return "LinkedIn closed it before answering"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

// Cancelled is the error of a call its caller gave up (its context was
// cancelled) before LinkedIn answered. It is its *plugin.Error (errors.As)
// for whoever answers it, and context.Canceled (errors.Is) for whoever
// counts failures: it is nobody's failure.
type Cancelled struct{ Err *plugin.Error }

func (c *Cancelled) Error() string { return c.Err.Error() }

// Unwrap is the call's error and context.Canceled.
func (c *Cancelled) Unwrap() []error { return []error{c.Err, context.Canceled} }

// checkHeader refuses what HTTP does not allow in a header: a name that is
// not a token, a value with a control character other than tab.
func checkHeader(name string, values []string) error {
	if name == "" {
		return plugin.Errorf(plugin.InvalidInput, "a header has an empty name")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return plugin.Errorf(plugin.InvalidInput, "header name %q holds a character HTTP does not allow", name)
		}
	}
	for _, v := range values {
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
				return plugin.Errorf(plugin.InvalidInput, "header %s holds a control character (0x%02X), which HTTP does not allow", name, c)
			}
		}
	}
	return nil
}
