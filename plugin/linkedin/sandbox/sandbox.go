// Package sandbox is a LinkedIn emulator: OAuth pages and token endpoint,
// userinfo, UGC posts, asset uploads and media status, and the current
// versioned content API under /rest (posts, images, documents, videos,
// comments, reactions, pages), answering the way LinkedIn documents, errors
// included. plugin-server --sandbox serves it so the whole flow works
// without a LinkedIn account, and tests use it as the fake LinkedIn.
package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
)

// Options configure an emulator.
type Options struct {
	// BaseURL is where the emulator is reached, e.g.
	// http://127.0.0.1:8080/sandbox; upload URLs point there.
	BaseURL string
	// Clients maps client ids to secrets. Default: sandbox-client and
	// sandbox-partner.
	Clients map[string]string
	// Partners are the clients that get refresh tokens, as LinkedIn's
	// approved partner apps do. Default: sandbox-partner.
	Partners []string
	// TokenLifetime defaults to LinkedIn's 60 days.
	TokenLifetime time.Duration
	Now           func() time.Time
	// Record is how many requests are kept for Requests; default 1000.
	Record int
	// RefuseVersionsAfter (YYYYMM) makes every LinkedIn-Version newer than
	// it answer 426 NONEXISTENT_VERSION although it is within the year
	// LinkedIn keeps versions, as when a client asks for a version LinkedIn
	// has not released yet; tests use it to make the server step back to
	// an older version. Empty: only the year rule applies.
	RefuseVersionsAfter string
	// Logf is the emulator's log, e.g. t.Logf; nil keeps it silent. It says
	// what LinkedIn does silently, such as publishing a post's commentary
	// cut at an unescaped reserved character.
	Logf func(format string, args ...any)
}

// The sandbox's apps: an ordinary one (60-day tokens, no refresh token)
// and a partner one (refresh tokens valid a year).
const (
	ClientID            = "sandbox-client"
	ClientSecret        = "sandbox-secret"
	PartnerClientID     = "sandbox-partner"
	PartnerClientSecret = "sandbox-partner-secret"
)

// Member is the member who signs in to the sandbox.
var Member = map[string]any{
	"sub": "782bbtaQ", "name": "John Doe", "given_name": "John", "family_name": "Doe",
	"picture": "https://media.licdn.com/dms/image/C4D03AQ/profile-displayphoto-shrink_100_100/0/1",
	"locale":  "en-US", "email": "doe@email.com", "email_verified": true,
}

// Sandbox is the emulator. Everything it knows lives in memory.
type Sandbox struct {
	opts    Options
	handler http.Handler

	mu       sync.Mutex
	codes    map[string]*grant
	tokens   map[string]*grant
	refresh  map[string]*grant
	posts    map[string]string // fingerprint of author, text and media -> post URN
	assets   map[string]*asset
	videos   map[string]*video
	seq      int64
	requests []Request

	// The /rest content API's posts (created there or through ugcPosts),
	// their comments, and reactions keyed by actor and post.
	restPosts map[string]*restPost
	comments  map[string][]*comment
	reactions map[reactionKey]*reaction
}

type grant struct {
	clientID, redirectURI string
	scopes                []string
	expires               time.Time
	revoked               bool
}

type asset struct {
	id, owner, recipe string
	// kind is image, video or document: the /rest/{kind}s URN it answers to.
	kind string
	// statusReads counts the status reads since a document's bytes
	// arrived; see mediaStatus.
	statusReads int
	// size and sha256 of the uploaded bytes; size 0 until they arrive.
	size        int64
	sha256      string
	contentType string
}

// Request is what the emulator received, for tests to compare.
type Request struct {
	Method string      `json:"method"`
	Host   string      `json:"host"`
	Path   string      `json:"path"`
	Query  string      `json:"query,omitempty"`
	Header http.Header `json:"headers"`
	Body   string      `json:"body,omitempty"`
}

// New makes an emulator.
func New(opts Options) *Sandbox {
	if opts.Clients == nil {
		opts.Clients = map[string]string{ClientID: ClientSecret, PartnerClientID: PartnerClientSecret}
	}
	if opts.Partners == nil {
		opts.Partners = []string{PartnerClientID}
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = 60 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Record == 0 {
		opts.Record = 1000
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	s := &Sandbox{opts: opts, codes: map[string]*grant{}, tokens: map[string]*grant{}, refresh: map[string]*grant{},
		posts: map[string]string{}, assets: map[string]*asset{}, videos: map[string]*video{}, seq: 6844785523593134080,
		restPosts: map[string]*restPost{}, comments: map[string][]*comment{}, reactions: map[reactionKey]*reaction{}}
	r := chi.NewRouter()
	r.Get("/oauth/v2/authorization", s.authorizationPage)
	r.Post("/oauth/v2/authorization", s.authorizationDecision)
	r.Post("/oauth/v2/accessToken", s.accessToken)
	r.Post("/oauth/v2/revoke", s.revoke)
	r.Get("/v2/userinfo", s.api(nil, s.userinfo))
	r.Post("/v2/ugcPosts", s.api([]string{"w_member_social"}, s.createPost))
	r.Post("/v2/assets", s.api([]string{"w_member_social"}, s.registerUpload))
	r.Put("/mediaUpload/{asset}/*", s.api(nil, s.upload))
	r.Post("/mediaUpload/{asset}/*", s.api(nil, s.upload))
	// The current content API, /rest. A scope "a|b" is met by either: a
	// page's token may hold only w_organization_social, and checkAuthor
	// then asks for the scope the author, owner or actor needs.
	const social = "w_member_social|w_organization_social"
	r.Post("/rest/videos", s.api([]string{social}, s.versioned(s.videoAction)))
	r.Put("/mediaUpload/video/{video}/{part}", s.api(nil, s.videoPart))
	for _, kind := range []string{"image", "video", "document"} {
		r.Get("/rest/"+kind+"s/{urn}", s.api(nil, s.versioned(s.mediaStatus(kind))))
	}
	r.Post("/rest/posts", s.api([]string{social}, s.versioned(s.createRestPost)))
	r.Get("/rest/posts", s.api([]string{readSocial}, s.versioned(s.findPosts)))
	r.Get("/rest/posts/{urn}", s.api([]string{readSocial}, s.versioned(s.getRestPost)))
	r.Post("/rest/posts/{urn}", s.api([]string{social}, s.versioned(s.updateRestPost)))
	r.Delete("/rest/posts/{urn}", s.api([]string{social}, s.versioned(s.deleteRestPost)))
	for _, kind := range []string{"image", "document"} {
		r.Post("/rest/"+kind+"s", s.api([]string{social}, s.versioned(s.initializeUpload(kind))))
		// Static segments win over /mediaUpload/{asset}/* in chi.
		r.Put("/mediaUpload/"+kind+"/{id}", s.api(nil, s.uploadMedia(kind)))
	}
	r.Post("/mediaUpload/image/{id}", s.api(nil, s.uploadMedia("image")))
	r.Post("/rest/socialActions/{urn}/comments", s.api([]string{social}, s.versioned(s.createComment)))
	r.Get("/rest/socialActions/{urn}/comments", s.api([]string{readSocial}, s.versioned(s.listComments)))
	r.Delete("/rest/socialActions/{urn}/comments/{id}", s.api([]string{social}, s.versioned(s.deleteComment)))
	r.Post("/rest/reactions", s.api([]string{social}, s.versioned(s.createReaction)))
	r.Delete("/rest/reactions/{key}", s.api([]string{social}, s.versioned(s.deleteReaction)))
	const pages = "r_organization_social|w_organization_social|rw_organization_admin"
	r.Get("/rest/organizationAcls", s.api([]string{pages}, s.versioned(s.organizationACLs)))
	r.Get("/rest/organizations/{id}", s.api([]string{pages}, s.versioned(s.organization)))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "No virtual resource found")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method "+r.Method+" is not allowed on this resource")
	})
	s.handler = r
	return s
}

// recordLimit is the largest body kept with a recorded request; larger
// ones (uploads) stream through unrecorded.
const recordLimit = 1 << 20

// ServeHTTP records the request and answers it.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.ContentLength >= 0 && r.ContentLength <= recordLimit {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", "could not read the body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	s.mu.Lock()
	if len(s.requests) == s.opts.Record {
		s.requests = slices.Delete(s.requests, 0, 1)
	}
	s.requests = append(s.requests, Request{Method: r.Method, Host: r.Host, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
	s.mu.Unlock()
	w.Header().Set("X-Li-Uuid", randomID(22))
	s.handler.ServeHTTP(w, r)
}

// Requests returns what the emulator received, oldest first.
func (s *Sandbox) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Reset forgets the recorded requests.
func (s *Sandbox) Reset() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// api checks the bearer token and the scopes a route needs, the way
// LinkedIn answers: 401 for a bad token, 403 for a missing permission.
// Every scope listed is needed; one written "a|b" is met by either.
func (s *Sandbox) api(scopes []string, next func(http.ResponseWriter, *http.Request, *grant)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		g := s.tokens[token]
		s.mu.Unlock()
		switch {
		case !ok || g == nil:
			apiError(w, http.StatusUnauthorized, "INVALID_ACCESS_TOKEN", "Invalid access token")
			return
		case g.revoked:
			apiError(w, http.StatusUnauthorized, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user")
			return
		case !s.opts.Now().Before(g.expires):
			apiError(w, http.StatusUnauthorized, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired")
			return
		}
		for _, need := range scopes {
			if !slices.ContainsFunc(strings.Split(need, "|"), func(scope string) bool { return slices.Contains(g.scopes, scope) }) {
				apiError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to access: "+r.Method+" "+r.URL.Path)
				return
			}
		}
		next(w, r, g)
	}
}

// versioned checks LinkedIn-Version: LinkedIn keeps each monthly version for
// about a year and answers 426 for any other, and for any after
// Options.RefuseVersionsAfter.
func (s *Sandbox) versioned(next func(http.ResponseWriter, *http.Request, *grant)) func(http.ResponseWriter, *http.Request, *grant) {
	return func(w http.ResponseWriter, r *http.Request, g *grant) {
		v := r.Header.Get("LinkedIn-Version")
		if v == "" {
			apiError(w, http.StatusBadRequest, "VERSION_MISSING", "A version must be present. Please specify a version by adding the LinkedIn-Version header.")
			return
		}
		if !s.activeVersion(v) {
			apiError(w, http.StatusUpgradeRequired, "NONEXISTENT_VERSION", "Requested version "+v+" is not active")
			return
		}
		if r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", "X-Restli-Protocol-Version 2.0.0 is required")
			return
		}
		next(w, r, g)
	}
}

func (s *Sandbox) activeVersion(v string) bool {
	t, err := time.Parse("200601", v)
	if err != nil || len(v) != 6 {
		return false
	}
	now := s.opts.Now().UTC()
	current := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if s.opts.RefuseVersionsAfter != "" && v > s.opts.RefuseVersionsAfter {
		return false
	}
	return !t.After(current) && t.After(current.AddDate(-1, 0, 0))
}

// logf writes to Options.Logf, if any.
func (s *Sandbox) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

func (s *Sandbox) userinfo(w http.ResponseWriter, r *http.Request, g *grant) {
	if !slices.Contains(g.scopes, "openid") {
		apiError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to access: userinfo.GET.NO_VERSION")
		return
	}
	out := map[string]any{"sub": Member["sub"]}
	if slices.Contains(g.scopes, "profile") {
		for _, k := range []string{"name", "given_name", "family_name", "picture", "locale"} {
			out[k] = Member[k]
		}
	}
	if slices.Contains(g.scopes, "email") {
		out["email"], out["email_verified"] = Member["email"], Member["email_verified"]
	}
	writeJSON(w, http.StatusOK, out)
}

// apiError writes LinkedIn's error body.
func apiError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"serviceErrorCode": serviceErrorCode(status), "code": code, "message": message, "status": status})
}

func serviceErrorCode(status int) int {
	switch status {
	case http.StatusUnauthorized:
		return 65600
	case http.StatusForbidden:
		return 100
	}
	return 0
}

// invalid writes LinkedIn's 422 for a body that fails its schema.
func invalid(w http.ResponseWriter, pointer, why string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": fmt.Sprintf("ERROR :: %s :: %s\n", pointer, why), "status": http.StatusUnprocessableEntity})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Env is the environment that points a plugin-server at an emulator served
// at base, with the sandbox's ordinary app as the server-wide app.
func Env(base string) map[string]string {
	return map[string]string{
		"LINKEDIN_CLIENT_ID": ClientID, "LINKEDIN_CLIENT_SECRET": ClientSecret,
		"LINKEDIN_AUTH_URL": base + "/oauth/v2/authorization", "LINKEDIN_TOKEN_URL": base + "/oauth/v2/accessToken",
		"LINKEDIN_REVOKE_URL": base + "/oauth/v2/revoke", "LINKEDIN_API_URL": base,
	}
}

// Uploaded says how many bytes an asset received and their SHA-256 (hex).
func (s *Sandbox) Uploaded(assetURN string) (int64, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := assetURN[strings.LastIndex(assetURN, ":")+1:]
	a := s.assets[id]
	if a == nil || a.size == 0 {
		return 0, "", false
	}
	return a.size, a.sha256, true
}
