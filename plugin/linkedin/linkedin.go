// Package linkedin declares the LinkedIn plugin: its datasource form, one file
// per command, and the rules every LinkedIn request follows (headers, URN
// encoding, created ids).
package linkedin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin/facts"
)

// Plugin returns the LinkedIn plugin with every command.
func Plugin() *plugin.Plugin {
	return &plugin.Plugin{
		ID:          "linkedin",
		Title:       "LinkedIn",
		Description: "Sign in a LinkedIn member, read their profile and post as them, with images and videos.",
		Datasource:  datasourceForm,
		Commands:    commands,
		AppKinds:    facts.AppKinds,
		Endpoint:    endpointKey,
		Explain:     explain,
		HealthCheck: getUserInfo.ID,
		Versions: &plugin.Versions{Header: "LinkedIn-Version", Current: VersionFor, Older: olderVersion,
			Pinned: pinnedVersion, Retired: retiredVersion, MaxSteps: 12},
		Auth: func(raw json.RawMessage) plugin.AuthConfig {
			c := ParseConfig(raw)
			return plugin.AuthConfig{ClientID: c.ClientID, Scopes: c.Scopes}
		},
		ReadCache: readCache,
		Service: plugin.Service{
			AuthURL:     "https://www.linkedin.com/oauth/v2/authorization",
			TokenURL:    "https://www.linkedin.com/oauth/v2/accessToken",
			RevokeURL:   "https://www.linkedin.com/oauth/v2/revoke",
			APIURL:      "https://api.linkedin.com",
			UploadHosts: []string{"api.linkedin.com", "www.linkedin.com"},
		},
	}
}

// commands are every command, in the order builders see them.
var commands = []*plugin.Command{
	getUserInfo, createPost, createPostWithMedia, registerMediaUpload,
	uploadMedia, uploadVideo, getMediaUploadStatus, customAction,
	sharePost, getPost, listPosts, updatePost, deletePost, uploadImage, uploadDocument,
	addComment, listComments, deleteComment, addReaction, removeReaction, listOrganizations,
	getFollowerCount, getFollowerStatistics, getShareStatistics, getPageStatistics,
	getSocialMetadata, getMemberPostAnalytics, listReactions,
}

func init() {
	for _, c := range commands {
		c.Scopes = commandScopes(c)
		c.Read = readsOnly(c)
	}
}

// readCache is how long a datasource's config keeps reads' answers. It
// runs before every read, so a config that does not name the field is not
// decoded at all.
func readCache(raw json.RawMessage) time.Duration {
	if !bytes.Contains(raw, []byte(`"readCacheSeconds"`)) {
		return 0
	}
	var c Config
	if json.Unmarshal(raw, &c) != nil {
		return 0
	}
	return time.Duration(c.ReadCacheSeconds) * time.Second
}

// readsOnly says, from the table of facts, that every endpoint a command
// calls reads (a GET that LinkedIn names GET, FINDER, GET_ALL or
// BATCH_GET), so identical calls in flight may be shared and answers
// cached. A command that lists no endpoints is never a read: customAction
// may call any path, and a GET there may still change something in some
// API, so it is conservatively treated as a write.
func readsOnly(c *plugin.Command) bool {
	if len(c.Endpoints) == 0 {
		return false
	}
	for _, key := range c.Endpoints {
		e := facts.ByKey(key)
		if e == nil || e.Method != http.MethodGet {
			return false
		}
		switch e.Restli {
		case "GET", "FINDER", "GET_ALL", "BATCH_GET":
		default:
			return false
		}
	}
	return true
}

// DefaultScopes are what a datasource asks for when its config names
// none: a self-serve app's.
var DefaultScopes = facts.AppKinds[0].Default

// VersionFor is the LinkedIn-Version used when a datasource names none: the
// previous month, which LinkedIn has always released and keeps for about a
// year. A hard-coded version is what broke every peer after a year.
func VersionFor(now time.Time) string {
	return now.UTC().AddDate(0, -1, 0).Format("200601")
}

// olderVersion is the month before v (YYYYMM).
func olderVersion(v string) string {
	t, err := time.Parse("200601", v)
	if err != nil {
		return ""
	}
	return t.AddDate(0, -1, 0).Format("200601")
}

// retiredVersion says LinkedIn refused the LinkedIn-Version a call carried:
// 426 NONEXISTENT_VERSION for a sunset or unreleased one, VERSION_MISSING
// (documented as 426, seen as 400) for none.
func retiredVersion(r *plugin.Response) bool {
	if r.Status != http.StatusUpgradeRequired && r.Status != http.StatusBadRequest {
		return false
	}
	var body struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Body, &body)
	return body.Code == "NONEXISTENT_VERSION" || body.Code == "VERSION_MISSING"
}

const restliVersion = "2.0.0"

// apiCall builds a request to the LinkedIn API host, refused before it is
// sent when no permission the member granted admits it.
func apiCall(s plugin.Settings, method, escapedPath string, query url.Values, body any) (*plugin.Call, error) {
	c, err := request(s, method, escapedPath, query, body)
	if err != nil {
		return nil, err
	}
	if err := admit(s, c); err != nil {
		return nil, err
	}
	return c, nil
}

// restliGet is apiCall for a GET whose query carries Rest.li values
// (records, lists, URNs), written by RestliQuery rather than url.Values,
// which would escape their syntax.
func restliGet(s plugin.Settings, escapedPath string, query Record) (*plugin.Call, error) {
	c, err := request(s, http.MethodGet, escapedPath, nil, nil)
	if err != nil {
		return nil, err
	}
	c.URL.RawQuery = RestliQuery(query)
	if err := admit(s, c); err != nil {
		return nil, err
	}
	return c, nil
}

// request builds a request to the LinkedIn API host. escapedPath starts
// with /v2/ or /rest/ and is already percent-encoded.
func request(s plugin.Settings, method, escapedPath string, query url.Values, body any) (*plugin.Call, error) {
	u, err := apiURL(s.APIURL, escapedPath)
	if err != nil {
		return nil, err
	}
	u.RawQuery = query.Encode()
	c := &plugin.Call{Method: method, URL: u, Header: http.Header{}}
	c.Header.Set("X-Restli-Protocol-Version", restliVersion)
	if strings.HasPrefix(escapedPath, "/rest/") {
		c.Header.Set("LinkedIn-Version", s.Version)
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode body: %w", err)
		}
		c.Body = b
		c.Header.Set("Content-Type", "application/json")
	}
	return c, nil
}

// apiURL appends an escaped path to the API root, keeping the root's own path
// (the sandbox lives under /sandbox).
func apiURL(root *url.URL, escapedPath string) (*url.URL, error) {
	p, err := url.PathUnescape(escapedPath)
	if err != nil {
		return nil, plugin.InvalidField("path", "has a bad percent-encoding")
	}
	u := *root
	base := strings.TrimSuffix(root.EscapedPath(), "/")
	u.Path = strings.TrimSuffix(root.Path, "/") + p
	u.RawPath = base + escapedPath
	u.RawQuery, u.Fragment = "", ""
	return &u, nil
}

// EncodeURN percent-encodes a URN for a path segment the way LinkedIn's own
// clients do: everything but unreserved characters, so ':' is %3A and
// ',()' are encoded too.
func EncodeURN(urn string) string {
	var b strings.Builder
	for i := 0; i < len(urn); i++ {
		c := urn[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// authorURN turns person:ID, organization:ID or a full URN into a URN.
// It runs for every post, so it reads the string itself rather than
// through a regular expression.
func authorURN(author string) (string, error) {
	short, full := strings.CutPrefix(author, "urn:li:")
	kind, id, _ := strings.Cut(short, ":")
	if (kind != "person" && kind != "organization") || !isURNID(id) {
		return "", plugin.InvalidField("author", "must be person:ID, organization:ID or a urn:li:person / urn:li:organization URN")
	}
	if full {
		return author, nil
	}
	return "urn:li:" + short, nil
}

// isURNID is whether id is an ID as a member's or a page's URN writes
// it: letters, digits, '_' and '-', at least one.
func isURNID(id string) bool {
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return id != ""
}

// decode reads params that already passed the form's schema.
func decode[T any](raw json.RawMessage) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, plugin.JSONError("", err)
	}
	return v, nil
}

// createdID is the output of a create: LinkedIn's body, with id taken from
// the X-RestLi-Id header when the body lacks it. The id is written first
// into the body as it came, rather than the body re-encoded, which cost a
// twentieth of createPost's CPU.
func createdID(r *plugin.Response) json.RawMessage {
	id := r.Header.Get("X-RestLi-Id")
	body := bytes.TrimSpace(r.Body)
	var fields map[string]json.RawMessage
	if len(body) > 0 {
		if err := json.Unmarshal(body, &fields); err != nil {
			return r.Body
		}
	}
	if _, ok := fields["id"]; ok || id == "" {
		if fields == nil {
			return nil
		}
		return r.Body
	}
	quoted, _ := json.Marshal(id)
	out := append(append([]byte(`{"id":`), quoted...), '}')
	if rest := bytes.TrimSpace(body[min(1, len(body)):]); len(fields) > 0 { // the object's members and closing brace
		out = append(append(out[:len(out)-1], ','), rest...)
	}
	return out
}

// field is one property of a form: its schema, how it is rendered, whether it
// is required. Forms are assembled from fields so shared ones (author, text)
// are written once and the uiSchema's order follows the declaration.
type field struct {
	name     string
	required bool
	schema   string
	ui       string
	// options, when set, lists the field's choices for a datasource; the
	// schema names it in "x-options".
	options *plugin.Options
}

func form(fields []field, examples ...plugin.Example) plugin.Form {
	var props, ui bytes.Buffer
	var required []string
	order := []string{}
	var options map[string]*plugin.Options
	props.WriteByte('{')
	ui.WriteString(`{"ui:order":`)
	for i, f := range fields {
		if i > 0 {
			props.WriteByte(',')
		}
		schema := f.schema
		if f.options != nil {
			schema = strings.TrimSuffix(strings.TrimSpace(schema), "}") + fmt.Sprintf(`,"x-options":%q}`, f.options.Name)
			if options == nil {
				options = map[string]*plugin.Options{}
			}
			options[f.name] = f.options
		}
		fmt.Fprintf(&props, "%q:%s", f.name, schema)
		order = append(order, f.name)
		if f.required {
			required = append(required, f.name)
		}
	}
	props.WriteByte('}')
	o, _ := json.Marshal(order)
	ui.Write(o)
	for _, f := range fields {
		if f.ui != "" {
			fmt.Fprintf(&ui, ",%q:%s", f.name, f.ui)
		}
	}
	ui.WriteByte('}')
	if required == nil {
		required = []string{}
	}
	r, _ := json.Marshal(required)
	schema := fmt.Sprintf(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"required":%s,"properties":%s}`, r, props.Bytes())
	return plugin.Form{Schema: json.RawMessage(schema), UISchema: json.RawMessage(ui.Bytes()), Examples: examples, Options: options}
}

// normalize is a Command.Normalize that rewrites the named params with
// their fix; a fix returning nil drops the param. Params that are not an
// object are left for the form to refuse.
func normalize(fixes map[string]func(json.RawMessage) (json.RawMessage, error)) func(json.RawMessage) (json.RawMessage, error) {
	return func(params json.RawMessage) (json.RawMessage, error) {
		var m map[string]json.RawMessage
		if json.Unmarshal(params, &m) != nil {
			return params, nil
		}
		changed := false
		for name, fix := range fixes {
			v, ok := m[name]
			if !ok {
				continue
			}
			fixed, err := fix(v)
			switch {
			case err != nil:
				return nil, err
			case fixed == nil:
				delete(m, name)
				changed = true
			case !bytes.Equal(fixed, v):
				m[name] = fixed
				changed = true
			}
		}
		if !changed {
			return params, nil
		}
		return marshalJSON(m)
	}
}

// marshalJSON is compact JSON that keeps & and < as they are.
func marshalJSON(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode params: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func example(title, params string) plugin.Example {
	return plugin.Example{Title: title, Params: json.RawMessage(params)}
}

// answered is an example with LinkedIn's documented answer to it.
func answered(title, params string, status int, headers map[string]string, output string) plugin.Example {
	e := example(title, params)
	e.Answer = &plugin.Answer{Status: status, Headers: headers, Output: json.RawMessage(output)}
	return e
}

// Fields shared by several commands.
var (
	authorField = field{name: "author", required: true, schema: `{"type":"string","title":"Author",
		"description":"Who posts: person:ID for a member (the sub of Get User Info), organization:ID for a page the member administers, or a full urn:li:person / urn:li:organization URN.",
		"examples":["person:123456789","organization:2414183","urn:li:person:8675309"],
		"pattern":"^(urn:li:)?(person|organization):[A-Za-z0-9_-]+$",
		"errorMessage":"must be person:ID, organization:ID or a urn:li:person / urn:li:organization URN"}`,
		ui: `{"ui:placeholder":"person:123456789"}`}
	lifecycleField = field{name: "lifecycleState", required: true, schema: `{"type":"string","title":"Lifecycle state",
		"description":"PUBLISHED posts now; DRAFT keeps the post unpublished.","default":"PUBLISHED","examples":["PUBLISHED"],
		"oneOf":[{"const":"PUBLISHED","title":"Published"},{"const":"DRAFT","title":"Draft"}]}`}
	textField = field{name: "text", required: true, schema: `{"type":"string","title":"Text",
		"description":"The commentary of the post, up to 3000 characters.","examples":["Hello World!"],
		"minLength":1,"maxLength":3000,"pattern":"\\S","errorMessage":"must not be empty"}`,
		ui: `{"ui:widget":"textarea","ui:options":{"rows":5}}`}
	visibilityField = field{name: "visibility", required: true, schema: `{"type":"string","title":"Visibility",
		"description":"Who can see the post.","default":"PUBLIC","examples":["PUBLIC"],
		"oneOf":[{"const":"PUBLIC","title":"Anyone on or off LinkedIn"},{"const":"CONNECTIONS","title":"Connections only"}]}`}
)

// explain reads LinkedIn's error body ({"code","message","status"}) and
// says what to do where LinkedIn's words alone would not.
func explain(r *plugin.Response) string {
	var body struct {
		Code         string `json:"code"`
		Message      string `json:"message"`
		ErrorDetails struct {
			InputErrors []struct {
				Code        string `json:"code"`
				Description string `json:"description"`
			} `json:"inputErrors"`
		} `json:"errorDetails"`
	}
	_ = json.Unmarshal(r.Body, &body)
	msg := strings.TrimSpace(body.Message)
	code := body.Code
	// A duplicate post is named in errorDetails.inputErrors, not in a
	// top-level code, with the post it duplicates in its description.
	for _, e := range body.ErrorDetails.InputErrors {
		if e.Code == "DUPLICATE_POST" {
			code = e.Code
			msg = strings.TrimSpace(msg + " " + e.Description)
		}
	}
	switch code {
	case "NONEXISTENT_VERSION":
		return msg + ": LinkedIn retired this LinkedIn-Version; set the datasource's linkedinVersion to a recent YYYYMM or leave it empty"
	case "DUPLICATE_POST":
		if urn := anyURN.FindString(msg); urn != "" {
			return "the same post already exists as " + urn + "; change the text to post again"
		}
		return msg + ": the same post already exists; change the text to post again"
	case "ACCESS_DENIED":
		if page := pageOf(r.Call); page != "" {
			return msg + ": " + pageRefusal(r.Call, page)
		}
		return msg + ": the app or the member lacks a permission for this route"
	}
	return msg
}

// pageOf is the page a call acts as or, on a route that reads a page
// (its statistics, whose roles the table names), the page its query
// names.
func pageOf(c *plugin.Call) string {
	if page := pageActedAs(c); page != "" || c == nil {
		return page
	}
	if e := endpoint(c); e != nil && e.Roles != nil {
		if q, err := url.QueryUnescape(c.URL.RawQuery); err == nil {
			return organizationURN.FindString(q)
		}
	}
	return ""
}

// pageRefusal says what LinkedIn wants of a call on a page it refused,
// from the table of facts: the page role its route asks (a write's, one
// that may post), and the scopes that admit it.
func pageRefusal(c *plugin.Call, page string) string {
	var roles, scopes []string
	if e := endpoint(c); e != nil {
		roles = e.Roles
		scopes, _ = admits(e, c)
	}
	if roles == nil && c.Method != http.MethodGet {
		roles = facts.PostingRoles
	}
	role := "an approved role on it"
	if roles != nil {
		role += " (" + strings.Join(roles, " or ") + ")"
	}
	scope := "a page scope"
	if len(scopes) > 0 {
		scope = "the scope " + strings.Join(scopes, " or ")
	}
	return "on the page " + page + " the member needs " + role + ", and the datasource " + scope
}

var (
	organizationURN = regexp.MustCompile(`urn:li:organization:[A-Za-z0-9_-]+`)
	anyURN          = regexp.MustCompile(`urn:li:[A-Za-z]+:[A-Za-z0-9_-]+`)
)

// pageActedAs is the page a call acts as, from its body, its query (a
// post finder's author, a reaction's actor) or its Rest.li key (a
// reaction's), "" when it acts as the member.
func pageActedAs(c *plugin.Call) string {
	if c == nil {
		return ""
	}
	// Most calls act as the member: no page named anywhere, nothing to
	// decode (this runs before every call).
	const page = "organization"
	if !bytes.Contains(c.Body, []byte(page)) && !strings.Contains(c.URL.RawQuery, page) && !strings.Contains(c.URL.EscapedPath(), page) {
		return ""
	}
	var who struct{ Author, Actor, Owner string }
	var init struct {
		Initialize struct{ Owner string } `json:"initializeUploadRequest"`
		Register   struct{ Owner string } `json:"registerUploadRequest"`
	}
	_ = json.Unmarshal(c.Body, &who)
	_ = json.Unmarshal(c.Body, &init)
	q := c.URL.Query()
	for _, v := range []string{who.Author, who.Actor, who.Owner, init.Initialize.Owner, init.Register.Owner, q.Get("actor"), q.Get("author")} {
		if organizationURN.MatchString(v) {
			return v
		}
	}
	if path, err := url.PathUnescape(c.URL.EscapedPath()); err == nil {
		if _, key, ok := strings.Cut(path, "(actor:"); ok {
			if page := organizationURN.FindString(key); strings.HasPrefix(key, page) && page != "" {
				return page
			}
		}
	}
	return ""
}
