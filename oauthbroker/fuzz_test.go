package oauthbroker

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	ps "pluginserver"
	"pluginserver/plugin"
)

// noStates is a store that knows no state: every callback fuzzed here is
// a stranger's.
type noStates struct{ Store }

func (noStates) TakeAuthState(context.Context, string) (*ps.AuthState, error) {
	return nil, plugin.Errorf(plugin.NotFound, "unknown")
}

// FuzzCallbackQuery: whatever query reaches /oauth/callback, it ends with a
// reason and a message, and never with a redirect when the state is not
// ours.
func FuzzCallbackQuery(f *testing.F) {
	for _, seed := range []string{"code=AQ1&state=abc", "error=user_cancelled_authorize&state=x", "state=a&state=b", "code=%0d%0a&state=x", "", "state=" + strings.Repeat("A", 300)} {
		f.Add(seed)
	}
	b := &Broker{Store: noStates{}, Log: zerolog.Nop()}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		o := b.Callback(context.Background(), q)
		if o.Error == "" || o.Message == "" {
			t.Fatalf("%q: outcome %+v", raw, o)
		}
		if o.RedirectURL() != "" {
			t.Fatalf("%q: redirected to %s", raw, o.RedirectURL())
		}
	})
}
