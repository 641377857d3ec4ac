// Package plugin is the contract between the server and a datasource plugin:
// a plugin declares its datasource form and its commands once, and the server,
// the docs, the OpenAPI document and the tests all read that declaration.
package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Plugin is one kind of datasource, such as LinkedIn.
type Plugin struct {
	ID          string
	Title       string
	Description string
	// Datasource is the form an admin fills in to create a datasource.
	Datasource Form
	Commands   []*Command
	// Explain says in a sentence why the service refused a call, from its
	// error answer; "" when the answer says nothing useful.
	Explain func(r *Response) string
	// HealthCheck is the command that tells whether a datasource works.
	HealthCheck string
	// Versions, when set, says how the service versions its API, so the
	// executor can step back when it retires the version a call carries.
	Versions *Versions
	// Auth reads what a datasource's config says of its OAuth app.
	Auth func(config json.RawMessage) AuthConfig
	// ReadCache, when set, is how long a datasource's config lets its
	// Read commands' answers be reused; 0 for not at all.
	ReadCache func(config json.RawMessage) time.Duration
	// Service is where the service lives unless the server is told
	// otherwise.
	Service Service
	// Endpoint names the service endpoint a call reaches ("POST
	// /rest/posts"), "" for one the plugin does not know; the service's
	// limits are kept per endpoint.
	Endpoint func(c *Call) string
	// AppKinds are the kinds of app the service grants scopes through,
	// each with the scopes it can grant; no app grants scopes of two
	// kinds at once.
	AppKinds []AppKind
}

// AppKind is a kind of OAuth app at the service: the scopes an app of that
// kind can be granted.
type AppKind struct {
	ID, Title, Description string
	// Scopes are every scope such an app can be granted.
	Scopes []string
	// Default are the scopes a datasource of this kind asks for.
	Default []string
	// Source is the service's page that says so.
	Source string
}

// FitApp finds the kind of app that grants every scope asked for; when
// none does, problem says which kind grants which of them, so the admin
// keeps the scopes of their app's kind.
func (p *Plugin) FitApp(scopes []string) (kind *AppKind, problem string) {
	if len(p.AppKinds) == 0 {
		return nil, ""
	}
	var parts []string
	for i := range p.AppKinds {
		k := &p.AppKinds[i]
		var only, not []string
		for _, s := range scopes {
			if slices.Contains(k.Scopes, s) {
				if !p.grantedByAll(s) {
					only = append(only, s)
				}
			} else {
				not = append(not, s)
			}
		}
		if len(not) == 0 {
			return k, ""
		}
		if len(only) > 0 {
			parts = append(parts, fmt.Sprintf("a %s grants %s but not %s", k.Title, strings.Join(only, " "), strings.Join(not, " ")))
		}
	}
	return nil, "no single LinkedIn app grants these scopes together: " + strings.Join(parts, "; ") +
		". Keep the scopes of the kind of app the datasource uses and remove the others, or use one datasource for each app"
}

// grantedByAll says whether every kind of app grants scope.
func (p *Plugin) grantedByAll(scope string) bool {
	for _, k := range p.AppKinds {
		if !slices.Contains(k.Scopes, scope) {
			return false
		}
	}
	return true
}

// Service is where a plugin's service lives by default: its OAuth
// endpoints, its API root and the hosts its upload URLs may point to.
type Service struct {
	AuthURL, TokenURL, RevokeURL, APIURL string
	UploadHosts                          []string
}

// AuthConfig is what a datasource's config says of its OAuth app.
type AuthConfig struct {
	// ClientID is the datasource's own app, "" for the server's.
	ClientID string
	// Scopes are what the member is asked to grant.
	Scopes []string
}

// Versions describes a service whose API versions are named in a header
// and retired after a while.
type Versions struct {
	// Header carries the version on a call.
	Header string
	// Current is the version to send when a datasource pins none.
	Current func(now time.Time) string
	// Older is the version before v, "" when there is none.
	Older func(v string) string
	// Pinned is the version a datasource's config pins, "" for none: a
	// pinned version is never stepped back from.
	Pinned func(config json.RawMessage) string
	// Retired says whether an answer refuses the version the call carried.
	Retired func(r *Response) bool
	// MaxSteps bounds how many older versions one call may try.
	MaxSteps int
}

// Command finds a command by id.
func (p *Plugin) Command(id string) (*Command, bool) {
	for _, c := range p.Commands {
		if c.ID == id {
			return c, true
		}
	}
	return nil, false
}

// Form is a JSON Schema (draft-07) with the uiSchema that renders it and
// examples of valid input.
type Form struct {
	Schema   json.RawMessage
	UISchema json.RawMessage
	Examples []Example
	// Options names, per field, where its choices come from; the field's
	// schema says so in "x-options".
	Options map[string]*Options
}

// Options is a source of a field's choices, read from the service with a
// datasource's token (the pages a member administers) and kept briefly per
// datasource.
type Options struct {
	// Name identifies the source; fields sharing a source share its cache.
	Name string
	// Endpoints are the keys of the service's endpoints Load reaches, as
	// Command.Endpoints names them.
	Endpoints []string
	// Load lists the choices. A listing it could not complete returns
	// the choices it has with the error.
	Load func(ctx context.Context, s Settings, send Send) ([]Option, error)
	// Restrict, when set, says whether a value must be among the choices
	// to be sent, and what it reads as there (a page must be one the
	// member administers; the member themselves need no listing).
	Restrict func(value string) (canonical string, restricted bool)
	// Unlisted says why a restricted value must be listed, for the
	// refusal of one that is not.
	Unlisted string
}

// Option is one choice of a field.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Example is one valid input of a form, shown in docs and checked by tests,
// with what LinkedIn's documentation says it answers.
type Example struct {
	Title  string          `json:"title"`
	Params json.RawMessage `json:"params"`
	Answer *Answer         `json:"answer,omitempty"`
}

// Answer is the status, headers and output an example gets.
type Answer struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Output  json.RawMessage   `json:"output"`
}

// Command is one thing a builder can run against a datasource.
type Command struct {
	ID          string
	Title       string
	Description string
	// Endpoints are the keys of the service's endpoints the command's calls
	// reach, as the plugin's table of facts names them.
	Endpoints []string
	// Scopes are the permissions that admit the command's calls, as the
	// member or as a page (each call is admitted by any one of its
	// endpoint's for who acts), derived from the plugin's facts. The plugin
	// checks each call against the scopes granted before it is sent.
	Scopes []string
	// Steps, for a command that Runs several calls, say what a dry run
	// would do.
	Steps []string
	// Upload marks a command whose params carry a file, so the larger body
	// limit applies to it.
	Upload bool
	// Read says every call the command makes reads: identical reads in
	// flight may share one call, and a datasource's read cache may answer
	// them. A command that may write (or whose calls are not known) is
	// never Read.
	Read bool
	Form Form
	// Normalize, when set, rewrites params into the shape the form
	// declares before they are validated, so one schema serves form
	// renderers while API callers keep the other forms they may send (a
	// JSON array given as a string holding it). A value it cannot read is
	// an *Error naming the field.
	Normalize func(params json.RawMessage) (json.RawMessage, error)
	// Build turns params that passed the form's schema into the exact request.
	Build func(ctx context.Context, params json.RawMessage, s Settings) (*Call, error)
	// Stream, when set, builds the request for a file sent as the request's
	// own body (raw or multipart) instead of inside the params, so the file
	// goes to LinkedIn without being held in memory.
	Stream func(ctx context.Context, params json.RawMessage, s Settings, file *File) (*Call, error)
	// Run, when set, carries out a command that takes several calls (a
	// video sent in parts): each goes through send, which adds the token,
	// and progress hears how far it got.
	Run func(ctx context.Context, params json.RawMessage, s Settings, file *File, send Send, progress Progress) (*Response, error)
	// Map turns the upstream answer into the envelope's output. Nil means the
	// JSON body as it came.
	Map func(r *Response) json.RawMessage
	// Rows, when set, flattens a successful answer (the envelope's output)
	// into the envelope's rows: a JSON array of flat objects, one per day,
	// month or breakdown value, that a table or chart binds as it is. Nil
	// when the output cannot be read so.
	Rows func(output json.RawMessage) json.RawMessage
}

// Settings are what a command needs to know about the datasource and server.
type Settings struct {
	// APIURL is the LinkedIn API root, e.g. https://api.linkedin.com.
	APIURL *url.URL
	// Version is the LinkedIn-Version header for /rest routes (YYYYMM).
	Version string
	// UploadHosts are the hosts an upload URL may point to.
	UploadHosts []string
	// Scopes are what the member granted; nil when not known (a dry run
	// before Authorize), which admits every call.
	Scopes []string
	// Now is when the call is made, which relative dates ("last 30
	// days") are read against; zero reads the clock.
	Now time.Time
}

// Call is a request a command wants sent. The proxy adds the token.
type Call struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
	// Stream, when set, is sent instead of Body: Length bytes, or an unknown
	// number when Length is -1. A stream is sent once, never retried.
	Stream io.Reader
	Length int64
	// Upload marks a call that carries a file to an upload URL: it goes
	// over connections of its own, so slow uploads never starve API
	// calls, and a 401 there says nothing about the member's token.
	Upload bool
}

// Send sends one call of a multi-call command.
type Send func(ctx context.Context, c *Call) (*Response, error)

// Progress reports bytes sent of a total, after each part.
type Progress func(sent, total int64)

// File is a file streamed to a command.
type File struct {
	Body        io.Reader
	Length      int64 // -1 when unknown
	ContentType string
}

// Response is what the upstream answered.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Duration time.Duration
	// Call is what was sent, so Map and Explain can name what the answer
	// is about.
	Call *Call
}

// Envelope is the answer to every execute: LinkedIn's status, headers and
// JSON body, plus our error and metadata.
type Envelope struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Output  json.RawMessage   `json:"output"`
	// Rows are the output as its command's Rows flattens it, for a
	// command that has them and an answer LinkedIn gave.
	Rows json.RawMessage `json:"rows,omitempty"`
	// Series are the rows' numbers as chart series, one per column:
	// {"followerGains":[{"x":"2026-11-01","y":12},…]}, the shape a
	// builder's chart (Appsmith's Series data) binds as it is.
	Series json.RawMessage `json:"series,omitempty"`
	Error  *Error          `json:"error,omitempty"`
	Meta   Meta            `json:"meta"`
}

// Meta describes the execution itself.
type Meta struct {
	Command           string `json:"command,omitempty"`
	DurationMs        int64  `json:"durationMs"`
	RequestID         string `json:"requestId,omitempty"`
	LinkedInRequestID string `json:"linkedinRequestId,omitempty"`
	DryRun            bool   `json:"dryRun,omitempty"`
	// Coalesced says the answer came from one LinkedIn call that
	// identical reads in flight at the same time shared.
	Coalesced bool `json:"coalesced,omitempty"`
	// Cache is "hit" when the answer came from the datasource's read
	// cache, without a LinkedIn call.
	Cache string `json:"cache,omitempty"`
	// Progress is how far a multi-part upload got.
	Progress *UploadProgress `json:"progress,omitempty"`
}

// Progress of a multi-part upload.
type UploadProgress struct {
	SentBytes  int64 `json:"sentBytes"`
	TotalBytes int64 `json:"totalBytes"`
	Parts      int   `json:"parts"`
}
