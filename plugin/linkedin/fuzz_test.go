package linkedin

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"pluginserver/plugin"
	"pluginserver/schema"
)

var fuzzAPI, _ = url.Parse("https://api.linkedin.com")

// FuzzCleanPath: whatever a builder sends as a customAction path, an
// accepted one resolves on the API host, under /v2/ or /rest/, with no
// segment that climbs out once decoded.
func FuzzCleanPath(f *testing.F) {
	for _, seed := range []string{"/v2/userinfo", "/rest/posts?q=author", "https://api.linkedin.com/v2/me", "/v2/../x", "/v2/%2e%2e/x", "//evil/v2", "/v2/a%2fb", "/rest/..;/x", "/rest/%c0%ae%c0%ae/x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		path, _, err := cleanPath(raw, fuzzAPI)
		if err != nil {
			return
		}
		u, err := apiURL(fuzzAPI, path)
		if err != nil {
			return
		}
		if u.Host != "api.linkedin.com" || u.Scheme != "https" || u.User != nil {
			t.Fatalf("%q resolved to another host: %s", raw, u)
		}
		if !strings.HasPrefix(u.Path, "/v2/") && !strings.HasPrefix(u.Path, "/rest/") {
			t.Fatalf("%q resolved outside the API root: %s", raw, u.Path)
		}
		for _, seg := range strings.Split(u.Path, "/")[1:] {
			if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "\\\x00\r\n;") || !utf8.ValidString(seg) {
				t.Fatalf("%q resolved to %q", raw, u.Path)
			}
		}
	})
}

// FuzzEncodeURN: the encoding is reversible and uses unreserved characters
// and escapes only.
func FuzzEncodeURN(f *testing.F) {
	for _, seed := range []string{"urn:li:image:C5522AQ", "urn:li:share:(a,b)", "it's/a space", "ü"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, urn string) {
		enc := EncodeURN(urn)
		if dec, err := url.PathUnescape(enc); err != nil || dec != urn {
			t.Fatalf("EncodeURN(%q) = %q does not decode back (%q, %v)", urn, enc, dec, err)
		}
		if strings.ContainsAny(enc, ":/?#[]@!$&'()*+,;= \\") {
			t.Fatalf("EncodeURN(%q) = %q keeps a reserved character", urn, enc)
		}
	})
}

// FuzzParams: any params for any command either fail their form with named
// fields or build a request for LinkedIn's hosts; nothing panics.
func FuzzParams(f *testing.F) {
	p := Plugin()
	for i, c := range p.Commands {
		for _, ex := range c.Form.Examples {
			f.Add(uint8(i), string(ex.Params))
		}
	}
	f.Add(uint8(2), `{"author":"person:1","lifecycleState":"PUBLISHED","text":"x","visibility":"PUBLIC","mediaCategory":"IMAGE","media":"[{\"media\":1}]"}`)
	validators := map[string]*schema.Validator{}
	for _, c := range p.Commands {
		v, err := schema.Compile(c.ID, c.Form.Schema)
		if err != nil {
			f.Fatal(err)
		}
		validators[c.ID] = v
	}
	settings := plugin.Settings{APIURL: fuzzAPI, Version: "202610", UploadHosts: []string{"api.linkedin.com", "www.linkedin.com"}}
	f.Fuzz(func(t *testing.T, which uint8, params string) {
		c := p.Commands[int(which)%len(p.Commands)]
		raw := json.RawMessage(params)
		if c.Normalize != nil {
			var err error
			if raw, err = c.Normalize(raw); err != nil {
				if e := plugin.AsError(err); e.Code != plugin.InvalidInput || len(e.Fields) == 0 {
					t.Fatalf("%s normalized %s without naming a field: %v", c.ID, params, err)
				}
				return
			}
		}
		if problems := validators[c.ID].Validate(raw); problems != nil {
			for _, pr := range problems {
				if pr.Message == "" {
					t.Fatalf("a problem without a message: %+v", problems)
				}
			}
			return
		}
		call, err := c.Build(context.Background(), raw, settings)
		if err != nil {
			if e := plugin.AsError(err); e.Code != plugin.InvalidInput || len(e.Fields) == 0 {
				t.Fatalf("%s refused %s without naming a field: %v", c.ID, params, err)
			}
			return
		}
		if !slices.Contains(settings.UploadHosts, call.URL.Host) || call.URL.User != nil {
			t.Fatalf("%s built a request for %s", c.ID, call.URL)
		}
		for k, vs := range call.Header {
			for _, v := range append(vs, k) {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Fatalf("%s built a header with a control character: %q", c.ID, v)
				}
			}
		}
	})
}
