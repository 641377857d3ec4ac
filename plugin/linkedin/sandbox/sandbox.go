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

	"pluginserver/plugin/linkedin/facts"
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
	// approved partner apps do. Default: sandbox-partner and
	// sandbox-community.
	Partners []string
	// Kinds maps client ids to the kind of app each is (facts.AppKinds):
	// the scopes its consent page may ask for. Default: sandbox-client and
	// sandbox-partner are self-serve, sandbox-community a Community
	// Management app.
	Kinds map[string]string
	// TokenLifetime defaults to LinkedIn's 60 days.
	TokenLifetime time.Duration
	Now           func() time.Time
	// Record is how many requests are kept for Requests; default 1000.
	Record int
	// KeepPosts is how many posts are kept, the oldest forgotten (with
	// their comments and reactions) past it; default 10,000. Everything
	// the emulator knows is in memory, and a load harness posts hundreds
	// of thousands: kept, they grew its process by hundreds of MiB, and
	// its collector's work slowed every answer it gave after.
	KeepPosts int
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

// The sandbox's apps: an ordinary self-serve one (60-day tokens, no
// refresh token), a self-serve partner one (refresh tokens valid a year),
// and a Community Management one (alone on its app: no OpenID Connect;
// refresh tokens).
const (
	ClientID              = "sandbox-client"
	ClientSecret          = "sandbox-secret"
	PartnerClientID       = "sandbox-partner"
	PartnerClientSecret   = "sandbox-partner-secret"
	CommunityClientID     = "sandbox-community"
	CommunityClientSecret = "sandbox-community-secret"
)

// AppFor is the sandbox's app that may ask for scopes: the ordinary
// self-serve one, else the Community Management one.
func AppFor(scopes []string) (clientID, secret string) {
	for _, k := range facts.AppKinds {
		if k.ID == "self-serve" && !slices.ContainsFunc(scopes, func(s string) bool { return !slices.Contains(k.Scopes, s) }) {
			return ClientID, ClientSecret
		}
	}
	return CommunityClientID, CommunityClientSecret
}

// Apps are the sandbox's apps, client id to secret.
func Apps() map[string]string {
	return map[string]string{ClientID: ClientSecret, PartnerClientID: PartnerClientSecret, CommunityClientID: CommunityClientSecret}
}

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
	// postOrder is the posts' URNs oldest first, for forgetting the
	// oldest past KeepPosts; a post deleted since may still be listed.
	postOrder []string
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
		opts.Clients = Apps()
	}
	if opts.Partners == nil {
		opts.Partners = []string{PartnerClientID, CommunityClientID}
	}
	if opts.Kinds == nil {
		opts.Kinds = map[string]string{ClientID: "self-serve", PartnerClientID: "self-serve", CommunityClientID: "community"}
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
	if opts.KeepPosts == 0 {
		opts.KeepPosts = 10000
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
	r.Get("/v2/userinfo", s.api(s.userinfo))
	r.Get("/v2/me", s.api(s.me))
	r.Post("/v2/ugcPosts", s.api(s.createPost))
	r.Post("/v2/assets", s.api(s.registerUpload))
	r.Put("/mediaUpload/{asset}/*", s.api(s.upload))
	r.Post("/mediaUpload/{asset}/*", s.api(s.upload))
	// The current content API, /rest. What admits each route is LinkedIn's
	// table of facts: a page's token may hold only w_organization_social,
	// and checkAuthor then asks for the scope the author, owner or actor
	// needs.
	r.Post("/rest/videos", s.api(s.versioned(s.videoAction)))
	r.Put("/mediaUpload/video/{video}/{part}", s.api(s.videoPart))
	for _, kind := range []string{"image", "video", "document"} {
		r.Get("/rest/"+kind+"s/{urn}", s.api(s.versioned(s.mediaStatus(kind))))
	}
	r.Post("/rest/posts", s.api(s.versioned(s.createRestPost)))
	r.Get("/rest/posts", s.api(s.versioned(s.findPosts)))
	r.Get("/rest/posts/{urn}", s.api(s.versioned(s.getRestPost)))
	r.Post("/rest/posts/{urn}", s.api(s.versioned(s.updateRestPost)))
	r.Delete("/rest/posts/{urn}", s.api(s.versioned(s.deleteRestPost)))
	for _, kind := range []string{"image", "document"} {
		r.Post("/rest/"+kind+"s", s.api(s.versioned(s.initializeUpload(kind))))
		// Static segments win over /mediaUpload/{asset}/* in chi.
		r.Put("/mediaUpload/"+kind+"/{id}", s.api(s.uploadMedia(kind)))
	}
	r.Post("/mediaUpload/image/{id}", s.api(s.uploadMedia("image")))
	r.Post("/rest/socialActions/{urn}/comments", s.api(s.versioned(s.createComment)))
	r.Get("/rest/socialActions/{urn}/comments", s.api(s.versioned(s.listComments)))
	r.Delete("/rest/socialActions/{urn}/comments/{id}", s.api(s.versioned(s.deleteComment)))
	r.Post("/rest/reactions", s.api(s.versioned(s.createReaction)))
	r.Delete("/rest/reactions/{key}", s.api(s.versioned(s.deleteReaction)))
	r.Get("/rest/organizationAcls", s.api(s.versioned(s.organizationACLs)))
	r.Get("/rest/organizations/{id}", s.api(s.versioned(s.organization)))
	r.Get("/rest/organizations", s.api(s.versioned(s.organizations)))
	r.Get("/rest/networkSizes/{urn}", s.api(s.versioned(s.networkSize)))
	r.Get("/rest/organizationalEntityFollowerStatistics", s.api(s.versioned(s.followerStatistics)))
	r.Get("/rest/organizationalEntityShareStatistics", s.api(s.versioned(s.shareStatistics)))
	r.Get("/rest/organizationPageStatistics", s.api(s.versioned(s.pageStatistics)))
	r.Get("/rest/socialMetadata/{urn}", s.api(s.versioned(s.socialMetadata)))
	r.Get("/rest/memberCreatorPostAnalytics", s.api(s.versioned(s.memberPostAnalytics)))
	r.Get("/rest/reactions/{key}", s.api(s.versioned(s.listReactions)))
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

// api checks the bearer token and the permissions a route needs, the way
// LinkedIn answers: 401 for a bad token, 403 ACCESS_DENIED when no scope
// the token holds admits the route in LinkedIn's table of facts (as the
// member or as a page; checkAuthor then asks for the one the author
// needs).
func (s *Sandbox) api(next func(http.ResponseWriter, *http.Request, *grant)) http.HandlerFunc {
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
		if e := facts.Find(r.Method, r.URL.EscapedPath(), r.URL.RawQuery); e != nil && !g.holdsAny(e.Any()) {
			apiError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to access: "+r.Method+" "+r.URL.Path)
			return
		}
		next(w, r, g)
	}
}

// holdsAny says whether the grant holds one of scopes.
func (g *grant) holdsAny(scopes []string) bool {
	return slices.ContainsFunc(scopes, func(scope string) bool { return slices.Contains(g.scopes, scope) })
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

// me is GET /v2/me, the Profile API: the member as r_basicprofile shows
// them, the only way a Community Management app, which has no OpenID
// Connect, reads who authorized it.
func (s *Sandbox) me(w http.ResponseWriter, r *http.Request, g *grant) {
	writeJSON(w, http.StatusOK, map[string]any{
		"id": Member["sub"], "localizedFirstName": Member["given_name"], "localizedLastName": Member["family_name"],
		"firstName":         map[string]any{"localized": map[string]any{"en_US": Member["given_name"]}, "preferredLocale": map[string]string{"country": "US", "language": "en"}},
		"lastName":          map[string]any{"localized": map[string]any{"en_US": Member["family_name"]}, "preferredLocale": map[string]string{"country": "US", "language": "en"}},
		"vanityName":        "john-doe",
		"profilePicture":    map[string]any{"displayImage": "urn:li:digitalmediaAsset:C4D03AQ"},
		"localizedHeadline": "Sandbox member",
	})
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
