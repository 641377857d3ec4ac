package linkedin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"pluginserver/plugin"
)

var customAction = &plugin.Command{
	ID:          "customAction",
	Title:       "Custom Action",
	Description: "Any route of the LinkedIn API under /v2/ or /rest/, with the datasource's token. LinkedIn-Version and X-Restli-Protocol-Version are added unless you set them.",
	Form: form([]field{
		{name: "method", required: true, schema: `{"type":"string","title":"Method","default":"GET","examples":["GET"],
			"oneOf":[{"const":"GET","title":"GET"},{"const":"POST","title":"POST"},{"const":"PUT","title":"PUT"},{"const":"PATCH","title":"PATCH"},{"const":"DELETE","title":"DELETE"}]}`},
		{name: "path", required: true, schema: `{"type":"string","title":"Path","description":"A path on the LinkedIn API host, under /v2/ or /rest/. URNs inside it are percent-encoded.",
			"examples":["/v2/userinfo","/rest/posts/urn%3Ali%3Ashare%3A6844785523593134080"],"maxLength":2048,
			"pattern":"^(/(v2|rest)/|https?://)","errorMessage":"must start with /v2/ or /rest/"}`},
		{name: "queryParams", schema: `{"type":"object","title":"Query parameters","description":"Added to the path's query string, each a name and a value.","examples":[{"q":"author","author":"urn:li:person:8675309"}],"additionalProperties":{"type":"string"}}`,
			ui: `{"ui:options":{"expandable":true}}`},
		{name: "headers", schema: `{"type":"object","title":"Headers","description":"Extra request headers. Authorization, Host, Cookie and hop-by-hop headers are refused.","examples":[{"LinkedIn-Version":"202610"}],"additionalProperties":{"type":"string"}}`,
			ui: `{"ui:options":{"expandable":true}}`},
		{name: "body", schema: `{"type":"string","title":"Body","description":"The request's body: JSON, sent as application/json unless headers name another Content-Type, or any text, sent as it is. API callers may also give the JSON itself (an object or array).",
			"examples":["{\"lifecycleState\":\"PUBLISHED\"}"]}`,
			ui: `{"ui:widget":"textarea","ui:options":{"rows":8,"json":true}}`},
	},
		answered("Read the member", `{"method":"GET","path":"/v2/userinfo"}`, 200, nil, `{"sub":"782bbtaQ","name":"John Doe","email":"doe@email.com"}`),
		example("List a member's posts", `{"method":"GET","path":"/rest/posts","queryParams":{"q":"author","author":"urn:li:person:8675309"}}`)),
	Normalize: normalize(map[string]func(json.RawMessage) (json.RawMessage, error){"body": normalizeBody}),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			Method      string            `json:"method"`
			Path        string            `json:"path"`
			QueryParams map[string]string `json:"queryParams"`
			Headers     map[string]string `json:"headers"`
			Body        json.RawMessage   `json:"body"`
		}](raw)
		if err != nil {
			return nil, err
		}
		path, query, err := cleanPath(p.Path, s.APIURL)
		if err != nil {
			return nil, err
		}
		for k, v := range p.QueryParams {
			query.Set(k, v)
		}
		// A custom action is the way past our table of facts: LinkedIn
		// itself answers what it admits.
		c, err := request(s, p.Method, path, query, nil)
		if err != nil {
			return nil, err
		}
		if err := addHeaders(c.Header, p.Headers); err != nil {
			return nil, err
		}
		if len(p.Body) > 0 && !bytes.Equal(p.Body, []byte("null")) {
			if p.Method == http.MethodGet {
				return nil, plugin.InvalidField("body", "a GET carries no body")
			}
			c.Body = p.Body
			var text string
			if p.Body[0] == '"' && json.Unmarshal(p.Body, &text) == nil {
				c.Body = []byte(text)
			}
			if c.Header.Get("Content-Type") == "" {
				c.Header.Set("Content-Type", "application/json")
			}
		}
		return c, nil
	},
}

// normalizeBody makes the body the string the form declares: JSON given as
// itself becomes a string holding the same bytes, which Build sends as they
// came; null is no body.
func normalizeBody(raw json.RawMessage) (json.RawMessage, error) {
	switch {
	case bytes.Equal(raw, []byte("null")):
		return nil, nil
	case len(raw) > 0 && raw[0] == '"':
		return raw, nil
	}
	return marshalJSON(string(raw))
}

// cleanPath checks a caller's path so the resolved URL stays under /v2/ or
// /rest/ of the API host: an absolute URL only on that very host, no dot
// segments, no empty segments, no backslashes, no path parameters, no
// encoded dots, slashes or control characters and nothing but UTF-8 once
// decoded, which a server might otherwise decode into a way out.
func cleanPath(raw string, api *url.URL) (string, url.Values, error) {
	bad := func(why string) (string, url.Values, error) {
		return "", nil, plugin.InvalidField("path", "%s", why)
	}
	if strings.ContainsAny(raw, "\\#@") || strings.ContainsFunc(raw, isControl) || strings.ContainsFunc(raw, isSpace) {
		return bad("must not contain backslashes, '#', '@', spaces or control characters")
	}
	if rest, ok := strings.CutPrefix(raw, api.Scheme+"://"); ok {
		host, tail, _ := strings.Cut(rest, "/")
		if !strings.EqualFold(host, api.Host) {
			return bad("must stay on the LinkedIn API host " + api.Host)
		}
		raw = "/" + tail
	}
	path, rawQuery, _ := strings.Cut(raw, "?")
	if !strings.HasPrefix(path, "/v2/") && !strings.HasPrefix(path, "/rest/") {
		return bad("must start with /v2/ or /rest/")
	}
	lower := strings.ToLower(path)
	for _, enc := range []string{"%2e", "%2f", "%5c", "%00", "%0a", "%0d"} {
		if strings.Contains(lower, enc) {
			return bad("must not percent-encode dots, slashes or control characters")
		}
	}
	// A ';' starts path parameters, which servers that honour them strip
	// before resolving dots: "/rest/..;/x" climbs out there.
	if strings.Contains(path, ";") {
		return bad("must not contain ';'")
	}
	for _, seg := range strings.Split(path[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad("must not contain empty, '.' or '..' segments")
		}
	}
	decoded, err := url.PathUnescape(path)
	if err != nil {
		return bad("has a bad percent-encoding")
	}
	// Bytes that are not UTF-8 once decoded, such as the overlong "%c0%ae"
	// a lax decoder reads as '.', are refused rather than guessed at.
	if !utf8.ValidString(decoded) {
		return bad("must be UTF-8 once percent-decoded (no overlong or stray bytes)")
	}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return bad("has a bad query string")
	}
	return path, query, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
func isSpace(r rune) bool {
	return r == ' ' || r == 0x85 || r == 0xa0 || r == 0x2028 || r == 0x2029 || r == 0x3000
}

// maxHeaderValue bounds a caller's header value, refused before sending:
// HTTP servers commonly refuse headers past 8 KiB or so (431) only after
// the request was sent. LinkedIn's own header limit is not documented, so
// this is our bound, not a LinkedIn fact.
const maxHeaderValue = 4096

// forbiddenHeaders are the caller headers that would let a builder replace
// the token, address another host or smuggle a request.
var forbiddenHeaders = []string{"Authorization", "Host", "Cookie", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "Te", "Trailer", "Keep-Alive"}

func addHeaders(h http.Header, extra map[string]string) error {
	var problems []plugin.FieldProblem
	for name, value := range extra {
		canonical := http.CanonicalHeaderKey(name)
		switch {
		case !validHeaderName(name):
			problems = append(problems, plugin.FieldProblem{Field: "headers." + name, Message: "is not a valid header name"})
		case len(value) > maxHeaderValue:
			problems = append(problems, plugin.FieldProblem{Field: "headers." + name, Message: fmt.Sprintf("must be at most %d bytes", maxHeaderValue)})
		case strings.ContainsFunc(value, isControl):
			problems = append(problems, plugin.FieldProblem{Field: "headers." + name, Message: "must not contain control characters"})
		case isForbiddenHeader(canonical):
			problems = append(problems, plugin.FieldProblem{Field: "headers." + name, Message: "may not be set by the caller"})
		default:
			h.Set(canonical, value)
		}
	}
	if problems != nil {
		return plugin.InvalidFields(problems)
	}
	return nil
}

func isForbiddenHeader(canonical string) bool {
	return slices.Contains(forbiddenHeaders, canonical) ||
		strings.HasPrefix(canonical, "Proxy-") || strings.HasPrefix(canonical, "X-Forwarded-")
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
