// Package proxy is the one layer that sends requests to LinkedIn: it adds
// the token, never follows a redirect, caps what it reads, and turns
// transport failures into the envelope's error codes.
package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"pluginserver/plugin"
)

// Proxy sends calls with a member's token.
type Proxy struct {
	Client *http.Client
	// MaxBody caps how much of an answer is read.
	MaxBody int64
}

// DefaultMaxBody is more than any LinkedIn JSON answer.
const DefaultMaxBody = 8 << 20

// NewClient is an HTTP client for LinkedIn: pooled connections, bounded
// waits, and redirects returned rather than followed, so the token never
// travels to a host we did not choose.
func NewClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = timeout
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{
		Transport:     t,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Do sends the call with the token and reads the whole answer.
func (p *Proxy) Do(ctx context.Context, c *plugin.Call, token string) (*plugin.Response, error) {
	req, err := http.NewRequestWithContext(ctx, c.Method, c.URL.String(), bytes.NewReader(c.Body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := p.Client.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	limit := p.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, transportError(ctx, err)
	}
	if int64(len(body)) > limit {
		return nil, plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn's answer was larger than %d bytes", limit)
	}
	return &plugin.Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Duration: time.Since(start)}, nil
}

func transportError(ctx context.Context, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return &plugin.Error{Code: plugin.UpstreamTimeout, Message: "LinkedIn did not answer in time"}
	}
	if ctx.Err() != nil {
		return &plugin.Error{Code: plugin.UpstreamUnavailable, Message: "the call was cancelled"}
	}
	return &plugin.Error{Code: plugin.UpstreamUnavailable, Message: "LinkedIn could not be reached"}
}
