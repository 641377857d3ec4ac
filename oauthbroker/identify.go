package oauthbroker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	ps "pluginserver"
	"pluginserver/plugin"
)

// IdentifyWith is a Broker.Identify that reads who granted a token with the plugin's health check
// command, as a builder's getUserInfo would: the plugin knows where its
// member is read for the scopes granted (LinkedIn: OpenID Connect's
// userinfo, or the profile on an app without OpenID Connect).
func IdentifyWith(p *plugin.Plugin, base plugin.Settings, client *http.Client) func(ctx context.Context, token string, scopes []string) (*ps.Member, error) {
	return func(ctx context.Context, token string, scopes []string) (*ps.Member, error) {
		cmd, ok := p.Command(p.HealthCheck)
		if !ok {
			return nil, errors.New("the plugin names no health check")
		}
		s := base
		s.Scopes = scopes
		if p.Versions != nil {
			s.Version = p.Versions.Current(time.Now())
		}
		call, err := cmd.Build(ctx, json.RawMessage(`{}`), s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmd.ID, err)
		}
		req, err := http.NewRequestWithContext(ctx, call.Method, call.URL.String(), nil)
		if err != nil {
			return nil, err
		}
		req.Header = call.Header.Clone()
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmd.ID, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmd.ID, err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s %s: HTTP %d", call.Method, call.URL.Path, resp.StatusCode)
		}
		if cmd.Map != nil {
			body = cmd.Map(&plugin.Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Call: call})
		}
		var m ps.Member
		if err := json.Unmarshal(body, &m); err != nil || m.Sub == "" {
			return nil, fmt.Errorf("%s %s: no member in the answer", call.Method, call.URL.Path)
		}
		return &m, nil
	}
}
