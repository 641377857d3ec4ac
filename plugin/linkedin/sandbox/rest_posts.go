package sandbox

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
)

// postsResource is the Posts API's name in LinkedIn's ACCESS_DENIED messages.
const postsResource = "partnerApiPostsExternal"

var (
	postURN     = regexp.MustCompile(`^urn:li:(?:share|ugcPost):[0-9]+$`)
	mediaURN    = regexp.MustCompile(`^urn:li:(image|video|document):([A-Za-z0-9_-]+)$`)
	imageURN    = regexp.MustCompile(`^urn:li:image:[A-Za-z0-9_-]+$`)
	mentionText = regexp.MustCompile(`^@\[((?:\\.|[^\]\\\n])*)\]\(urn:li:(?:person|organization):[A-Za-z0-9_-]+\)`)
)

// restPost is a post as GET /rest/posts answers it.
type restPost struct {
	ID                 string       `json:"id"`
	Author             string       `json:"author"`
	Commentary         string       `json:"commentary"`
	Visibility         string       `json:"visibility"`
	Distribution       distribution `json:"distribution"`
	LifecycleState     string       `json:"lifecycleState"`
	LifecycleStateInfo struct {
		IsEditedByAuthor bool `json:"isEditedByAuthor"`
	} `json:"lifecycleStateInfo"`
	IsReshareDisabledByAuthor bool            `json:"isReshareDisabledByAuthor"`
	Content                   *postContent    `json:"content,omitempty"`
	ReshareContext            *reshareContext `json:"reshareContext,omitempty"`
	ContentLandingPage        string          `json:"contentLandingPage,omitempty"`
	ContentCallToActionLabel  string          `json:"contentCallToActionLabel,omitempty"`
	CreatedAt                 int64           `json:"createdAt"`
	LastModifiedAt            int64           `json:"lastModifiedAt"`
	PublishedAt               int64           `json:"publishedAt,omitempty"`

	seq         int64  // order of creation, for newest first
	fingerprint string // its key in Sandbox.posts, for DUPLICATE_POST
}

type distribution struct {
	FeedDistribution               string            `json:"feedDistribution"`
	TargetEntities                 []json.RawMessage `json:"targetEntities"`
	ThirdPartyDistributionChannels []string          `json:"thirdPartyDistributionChannels"`
}

type postContent struct {
	Media      *mediaContent   `json:"media,omitempty"`
	Article    *articleContent `json:"article,omitempty"`
	MultiImage *multiImage     `json:"multiImage,omitempty"`
	Poll       *poll           `json:"poll,omitempty"`
}

type mediaContent struct {
	ID      string `json:"id"`
	Title   string `json:"title,omitempty"`
	AltText string `json:"altText,omitempty"`
}

type articleContent struct {
	Source      string `json:"source"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Thumbnail   string `json:"thumbnail,omitempty"`
}

type multiImage struct {
	Images []struct {
		ID      string `json:"id"`
		AltText string `json:"altText,omitempty"`
	} `json:"images"`
}

type poll struct {
	Question string `json:"question"`
	Options  []struct {
		Text string `json:"text"`
	} `json:"options"`
	Settings struct {
		Duration               string `json:"duration"`
		VoteSelectionType      string `json:"voteSelectionType,omitempty"`
		IsVoterVisibleToAuthor *bool  `json:"isVoterVisibleToAuthor,omitempty"`
	} `json:"settings"`
}

// reshareContext names the post reshared (parent) and, as LinkedIn answers
// it, the original post of a chain of reshares (root, which the sandbox
// sets whatever the request says).
type reshareContext struct {
	Parent string `json:"parent"`
	Root   string `json:"root,omitempty"`
}

// postRequest is the body of POST /rest/posts.
type postRequest struct {
	Author                    string          `json:"author"`
	Commentary                *string         `json:"commentary"`
	Visibility                string          `json:"visibility"`
	Distribution              *distribution   `json:"distribution"`
	LifecycleState            string          `json:"lifecycleState"`
	IsReshareDisabledByAuthor bool            `json:"isReshareDisabledByAuthor"`
	Content                   *postContent    `json:"content"`
	ReshareContext            *reshareContext `json:"reshareContext"`
}

// Limits: commentary 3000 characters and multi-image posts 2 to 20 images,
// as LinkedIn documents; comments 1250 characters, the limit third-party
// clients document (LinkedIn's Comments API page, as far as the sandbox's
// authors found, names none); a poll's question 140 and each of its 2 to 4
// options 30 characters, as LinkedIn's poll composer allows. Lengths count
// characters as sent, escaping backslashes included.
const (
	commentaryLimit  = 3000
	commentLimit     = 1250
	pollQuestionMax  = 140
	pollOptionMax    = 30
	multiImageMin    = 2
	multiImageMax    = 20
	pollOptionsMin   = 2
	pollOptionsMax   = 4
	defaultPageCount = 10
	maxPageCount     = 100
)

// decodeStrict decodes a JSON body the way Rest.li checks it against its
// schema: an unknown field or a value of the wrong type is a 422.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any, what string) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return true
	}
	var typeErr *json.UnmarshalTypeError
	switch field, unknown := strings.CutPrefix(err.Error(), "json: unknown field "); {
	case unknown:
		invalid(w, "/"+strings.Trim(field, `"`), "unrecognized field found but type schema disallows additional fields")
	case errors.As(err, &typeErr):
		invalid(w, "/"+strings.ReplaceAll(typeErr.Field, ".", "/"), fmt.Sprintf("%s is not a valid %s", typeErr.Value, typeErr.Type))
	default:
		invalid(w, "/", "body is not a valid "+what+": "+err.Error())
	}
	return false
}

// keyURN reads the URN key of a path: Rest.li 2.0 wants it percent-encoded
// whole (":" as %3A), and LinkedIn answers 400 for an unencoded one.
func keyURN(w http.ResponseWriter, r *http.Request, param string, want *regexp.Regexp, kind string) (string, bool) {
	raw := chi.URLParam(r, param)
	urn, err := url.PathUnescape(raw)
	switch {
	case err != nil || strings.ContainsAny(raw, ":(),"):
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Syntax exception in path variables: the key must be percent-encoded (':' as %3A)")
	case !want.MatchString(urn):
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid key %q: it must be a %s URN", urn, kind))
	default:
		return urn, true
	}
	return "", false
}

// cutLittleText finds where LinkedIn stops publishing little text: at the
// first reserved character that is neither backslash-escaped nor part of
// a hashtag, a mention or a URL. It returns the text kept and, when cut,
// the offset (in characters) and the character; offset -1 when whole.
func cutLittleText(text string) (kept string, offset int, at rune) {
	for i := 0; i < len(text); {
		rest := text[i:]
		r, size := utf8.DecodeRuneInString(rest)
		switch {
		case r == '\\' && len(rest) > size:
			// An escape: the backslash and the character after it.
			_, next := utf8.DecodeRuneInString(rest[size:])
			i += size + next
			continue
		case r == '#' && len(rest) > 1 && hashtagRune(rest[1:]):
			i++
			for i < len(text) && hashtagRune(text[i:]) {
				_, n := utf8.DecodeRuneInString(text[i:])
				i += n
			}
			continue
		case r == '@' && mentionText.MatchString(rest):
			i += len(mentionText.FindString(rest))
			continue
		case strings.HasPrefix(rest, "http://") || strings.HasPrefix(rest, "https://"):
			end := strings.IndexFunc(rest, unicode.IsSpace)
			if end < 0 {
				end = len(rest)
			}
			i += end
			continue
		case strings.ContainsRune(`|{}@[]()<>#\*_~`, r):
			return text[:i], utf8.RuneCountInString(text[:i]), r
		}
		i += size
	}
	return text, -1, 0
}

func hashtagRune(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
}

// shownLength counts little text as the reader sees it: an escape is the
// character it escapes, a mention its @Name. The server counts the same
// way; LinkedIn documents no rule of its own.
func shownLength(text string) int {
	n := 0
	for i := 0; i < len(text); {
		rest := text[i:]
		if rest[0] == '@' {
			if m := mentionText.FindStringSubmatch(rest); m != nil {
				n += 1 + shownLength(m[1])
				i += len(m[0])
				continue
			}
		}
		if rest[0] == '\\' && len(rest) > 1 {
			i++
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
		n++
	}
	return n
}

// littleText checks a little-text field against its limit and returns what
// LinkedIn keeps of it, with a note for the log when it is cut.
func littleText(w http.ResponseWriter, pointer, text string, limit int) (kept, cut string, ok bool) {
	if n := shownLength(text); n > limit {
		invalid(w, pointer, fmt.Sprintf("length %d exceeds the maximum of %d characters", n, limit))
		return "", "", false
	}
	kept, offset, at := cutLittleText(text)
	if offset >= 0 {
		cut = fmt.Sprintf("cut at offset %d by an unescaped %q (LinkedIn publishes little text only up to an unescaped reserved character)", offset, string(at))
	}
	return kept, cut, true
}

// mediaReady says whether the sandbox has the bytes of an image, video or
// document URN: uploaded through the Images or Documents API, finalized
// through the Videos API, or uploaded as an asset of the Assets API (whose
// id is the same as the image's or video's).
func (s *Sandbox) mediaReady(urn string) bool {
	m := mediaURN.FindStringSubmatch(urn)
	if m == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.videos[m[2]]; m[1] == "video" && v != nil {
		return v.finalized
	}
	a := s.assets[m[2]]
	return a != nil && a.kind == m[1] && a.size > 0
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// checkContent checks content as LinkedIn does: exactly one kind, and the
// media it names uploaded.
func (s *Sandbox) checkContent(w http.ResponseWriter, c *postContent) bool {
	kinds := 0
	for _, set := range []bool{c.Media != nil, c.Article != nil, c.MultiImage != nil, c.Poll != nil} {
		if set {
			kinds++
		}
	}
	ready := func(pointer, urn string, want *regexp.Regexp, what string) bool {
		if !want.MatchString(urn) {
			invalid(w, pointer, fmt.Sprintf("%q is not %s URN", urn, what))
			return false
		}
		if !s.mediaReady(urn) {
			invalid(w, pointer, urn+" is not AVAILABLE: initialize its upload and upload its bytes first")
			return false
		}
		return true
	}
	switch {
	case kinds != 1:
		invalid(w, "/content", fmt.Sprintf("exactly one of media, article, multiImage, poll must be set, found %d", kinds))
		return false
	case c.Media != nil:
		return ready("/content/media/id", c.Media.ID, mediaURN, "a urn:li:image, urn:li:video or urn:li:document")
	case c.Article != nil:
		a := c.Article
		switch {
		case !validURL(a.Source):
			invalid(w, "/content/article/source", fmt.Sprintf("%q is not an http(s) URL", a.Source))
		case strings.TrimSpace(a.Title) == "":
			invalid(w, "/content/article/title", "field is required but not found and has no default value")
		case a.Thumbnail != "":
			return ready("/content/article/thumbnail", a.Thumbnail, imageURN, "a urn:li:image")
		default:
			return true
		}
		return false
	case c.MultiImage != nil:
		images := c.MultiImage.Images
		if len(images) < multiImageMin || len(images) > multiImageMax {
			invalid(w, "/content/multiImage/images", fmt.Sprintf("a multi-image post has %d to %d images, found %d", multiImageMin, multiImageMax, len(images)))
			return false
		}
		for i, img := range images {
			if !ready(fmt.Sprintf("/content/multiImage/images/%d/id", i), img.ID, imageURN, "a urn:li:image") {
				return false
			}
		}
		return true
	}
	p := c.Poll
	switch {
	case strings.TrimSpace(p.Question) == "" || utf8.RuneCountInString(p.Question) > pollQuestionMax:
		invalid(w, "/content/poll/question", fmt.Sprintf("the question is required and has at most %d characters", pollQuestionMax))
	case len(p.Options) < pollOptionsMin || len(p.Options) > pollOptionsMax:
		invalid(w, "/content/poll/options", fmt.Sprintf("a poll has %d to %d options, found %d", pollOptionsMin, pollOptionsMax, len(p.Options)))
	case !slices.Contains([]string{"ONE_DAY", "THREE_DAYS", "SEVEN_DAYS", "FOURTEEN_DAYS"}, p.Settings.Duration):
		invalid(w, "/content/poll/settings/duration", fmt.Sprintf("%q is not an enum symbol of PollDuration", p.Settings.Duration))
	case p.Settings.VoteSelectionType != "" && p.Settings.VoteSelectionType != "SINGLE_VOTE":
		invalid(w, "/content/poll/settings/voteSelectionType", fmt.Sprintf("%q is not an enum symbol of VoteSelectionType", p.Settings.VoteSelectionType))
	default:
		for i, o := range p.Options {
			if strings.TrimSpace(o.Text) == "" || utf8.RuneCountInString(o.Text) > pollOptionMax {
				invalid(w, fmt.Sprintf("/content/poll/options/%d/text", i), fmt.Sprintf("an option is required and has at most %d characters", pollOptionMax))
				return false
			}
		}
		return true
	}
	return false
}

// checkPost checks a new post's fields, in the order of LinkedIn's schema.
func (s *Sandbox) checkPost(w http.ResponseWriter, p *postRequest) bool {
	d := p.Distribution
	switch {
	case p.Author == "":
		invalid(w, "/author", "field is required but not found and has no default value")
	case p.Commentary == nil && p.Content == nil && p.ReshareContext == nil:
		invalid(w, "/commentary", "field is required when the post has no content and is not a reshare")
	case !slices.Contains([]string{"PUBLIC", "CONNECTIONS", "LOGGED_IN"}, p.Visibility):
		invalid(w, "/visibility", fmt.Sprintf("%q is not an enum symbol of MemberNetworkVisibility", p.Visibility))
	case d == nil:
		invalid(w, "/distribution", "field is required but not found and has no default value")
	case d.FeedDistribution != "MAIN_FEED" && d.FeedDistribution != "NONE":
		invalid(w, "/distribution/feedDistribution", fmt.Sprintf("%q is not an enum symbol of FeedDistribution", d.FeedDistribution))
	case p.LifecycleState != "PUBLISHED" && p.LifecycleState != "DRAFT":
		invalid(w, "/lifecycleState", fmt.Sprintf("%q is not an enum symbol of LifecycleState", p.LifecycleState))
	case p.Content != nil && p.ReshareContext != nil:
		invalid(w, "/content", "a reshare carries no content of its own")
	case p.ReshareContext != nil:
		parent := p.ReshareContext.Parent
		s.mu.Lock()
		post := s.restPosts[parent]
		var disabled bool
		if post != nil {
			disabled, p.ReshareContext.Root = post.IsReshareDisabledByAuthor, parent
			if post.ReshareContext != nil {
				p.ReshareContext.Root = post.ReshareContext.Root
			}
		}
		s.mu.Unlock()
		switch {
		case post == nil:
			invalid(w, "/reshareContext/parent", fmt.Sprintf("%q is not a post the sandbox knows", parent))
		case disabled:
			invalid(w, "/reshareContext/parent", "the author of "+parent+" disabled resharing")
		default:
			return true
		}
	case p.Content != nil:
		return s.checkContent(w, p.Content)
	default:
		return true
	}
	return false
}

// createRestPost is POST /rest/posts: 201 with an empty body and the new
// URN in x-restli-id. Commentary with an unescaped reserved character is
// published cut there, as LinkedIn does, and the log says so.
func (s *Sandbox) createRestPost(w http.ResponseWriter, r *http.Request, g *grant) {
	var p postRequest
	if !decodeStrict(w, r, &p, "Post") || !s.checkPost(w, &p) ||
		!s.checkAuthor(w, p.Author, g, "/author", access(r, postsResource, "CREATE")) {
		return
	}
	var text, cut string
	if p.Commentary != nil {
		var ok bool
		if text, cut, ok = littleText(w, "/commentary", *p.Commentary, commentaryLimit); !ok {
			return
		}
	}
	d := *p.Distribution
	if d.TargetEntities == nil {
		d.TargetEntities = []json.RawMessage{}
	}
	if d.ThirdPartyDistributionChannels == nil {
		d.ThirdPartyDistributionChannels = []string{}
	}
	now := s.opts.Now().UnixMilli()
	post := &restPost{Author: p.Author, Commentary: text, Visibility: p.Visibility, Distribution: d, LifecycleState: p.LifecycleState,
		IsReshareDisabledByAuthor: p.IsReshareDisabledByAuthor, Content: p.Content, ReshareContext: p.ReshareContext,
		CreatedAt: now, LastModifiedAt: now}
	if p.LifecycleState == "PUBLISHED" {
		post.PublishedAt = now
	}
	post.fingerprint = fingerprint(p.Author, deref(p.Commentary), p.Content, p.ReshareContext)
	s.mu.Lock()
	existing, dup := s.posts[post.fingerprint]
	if !dup {
		s.seq++
		post.seq, post.ID = s.seq, fmt.Sprintf("urn:li:share:%d", s.seq)
		s.keepPost(post)
	}
	s.mu.Unlock()
	if dup {
		duplicatePost(w, existing)
		return
	}
	if cut != "" {
		s.logf("sandbox: post %s: commentary %s", post.ID, cut)
	}
	w.Header().Set("X-RestLi-Id", post.ID)
	w.WriteHeader(http.StatusCreated)
}

// fingerprint is a post's key for DUPLICATE_POST: the one ugcPosts uses
// (author, text as sent, media), so that the same text posted through
// either API is a duplicate, and the post reshared.
func fingerprint(author, text string, content *postContent, reshare *reshareContext) string {
	media, _ := json.Marshal(content)
	f := author + "\x00" + text + "\x00" + string(media)
	if reshare != nil {
		f += "\x00" + reshare.Parent
	}
	return f
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// fromUGC is a post made through /v2/ugcPosts as /rest/posts shows it, so
// that posts made either way can be read, commented on and deleted.
func (s *Sandbox) fromUGC(id string, p ugcPost, key string, seq int64) *restPost {
	c := p.SpecificContent.Share
	now := s.opts.Now().UnixMilli()
	post := &restPost{ID: id, Author: p.Author, Commentary: *c.ShareCommentary.Text,
		Visibility:     p.Visibility["com.linkedin.ugc.MemberNetworkVisibility"],
		Distribution:   distribution{FeedDistribution: "MAIN_FEED", TargetEntities: []json.RawMessage{}, ThirdPartyDistributionChannels: []string{}},
		LifecycleState: p.LifecycleState, CreatedAt: now, LastModifiedAt: now, seq: seq, fingerprint: key}
	if p.LifecycleState == "PUBLISHED" {
		post.PublishedAt = now
	}
	var ids []string
	for _, m := range c.Media {
		if id := assetURN.FindStringSubmatch(m.Media); id != nil {
			ids = append(ids, id[1])
		}
	}
	switch {
	case c.ShareMediaCategory == "ARTICLE" && len(c.Media) > 0:
		var title struct{ Text string }
		json.Unmarshal(c.Media[0].Title, &title)
		post.Content = &postContent{Article: &articleContent{Source: c.Media[0].OriginalURL, Title: title.Text}}
	case c.ShareMediaCategory == "VIDEO" && len(ids) > 0:
		post.Content = &postContent{Media: &mediaContent{ID: "urn:li:video:" + ids[0]}}
	case c.ShareMediaCategory == "IMAGE" && len(ids) == 1:
		post.Content = &postContent{Media: &mediaContent{ID: "urn:li:image:" + ids[0]}}
	case c.ShareMediaCategory == "IMAGE" && len(ids) > 1:
		m := &multiImage{}
		for _, id := range ids {
			m.Images = append(m.Images, struct {
				ID      string `json:"id"`
				AltText string `json:"altText,omitempty"`
			}{ID: "urn:li:image:" + id})
		}
		post.Content = &postContent{MultiImage: m}
	}
	return post
}

// getRestPost is GET /rest/posts/{urn}: the post as stored (its commentary
// as published, i.e. cut), 404 for one the sandbox does not know, and for
// a draft unless viewContext=AUTHOR asks for the author's view.
func (s *Sandbox) getRestPost(w http.ResponseWriter, r *http.Request, g *grant) {
	urn, ok := keyURN(w, r, "urn", postURN, "urn:li:share or urn:li:ugcPost")
	if !ok {
		return
	}
	s.mu.Lock()
	post := s.restPosts[urn]
	var out restPost
	if post != nil {
		out = *post
	}
	s.mu.Unlock()
	if post == nil {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: "+urn)
		return
	}
	switch view := r.URL.Query().Get("viewContext"); {
	case view != "" && view != "READER" && view != "AUTHOR":
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param viewContext: %q is not an enum symbol of ViewContext", view))
		return
	case out.LifecycleState == "DRAFT" && view != "AUTHOR":
		// A draft is its author's: readers are told it is not there.
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: "+urn)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// canRead answers 403 unless the member may read author's posts: their
// own, or a page's they administer.
func canRead(w http.ResponseWriter, r *http.Request, g *grant, author string) bool {
	m := authorURN.FindStringSubmatch(author)
	switch {
	case m == nil:
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param author: %q is not a urn:li:person or urn:li:organization URN", author))
	case m[1] == "person" && !slices.Contains(g.scopes, "r_member_social"):
		apiError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to access: "+access(r, postsResource, "FINDER-author")+": reading a member's posts needs r_member_social")
	case m[1] == "organization" && !slices.Contains(g.scopes, "r_organization_social"):
		apiError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to access: "+access(r, postsResource, "FINDER-author")+": reading a page's posts needs r_organization_social")
	case (m[1] == "person" && m[2] != Member["sub"]) || (m[1] == "organization" && !administers(m[2])):
		apiError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to access: "+access(r, postsResource, "FINDER-author")+": "+memberURN()+" may not read the posts of "+author)
	default:
		return true
	}
	return false
}

// findPosts is GET /rest/posts?q=author&author={urn}: the author's posts,
// drafts included, newest first (sortBy=LAST_MODIFIED: last modified
// first), paged with start and count.
func (s *Sandbox) findPosts(w http.ResponseWriter, r *http.Request, g *grant) {
	q := r.URL.Query()
	if q.Get("q") != "author" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid query parameter q: %q is not a finder of posts (author)", q.Get("q")))
		return
	}
	sortBy := q.Get("sortBy")
	if sortBy != "" && sortBy != "CREATED" && sortBy != "LAST_MODIFIED" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param sortBy: %q is not an enum symbol of PostSortBy", sortBy))
		return
	}
	author := q.Get("author")
	start, count, ok := paging(w, r)
	if !ok || !canRead(w, r, g, author) {
		return
	}
	s.mu.Lock()
	var posts []restPost
	for _, p := range s.restPosts {
		if p.Author == author {
			posts = append(posts, *p)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(posts, func(a, b restPost) int {
		if sortBy == "LAST_MODIFIED" && a.LastModifiedAt != b.LastModifiedAt {
			return cmp.Compare(b.LastModifiedAt, a.LastModifiedAt)
		}
		return cmp.Compare(b.seq, a.seq)
	})
	elements := make([]any, len(posts))
	for i := range posts {
		elements[i] = posts[i]
	}
	writeJSON(w, http.StatusOK, collection(r, elements, start, count))
}

// paging reads a finder's start and count: count defaults to 10 and is at
// most 100, as LinkedIn's finders take them.
func paging(w http.ResponseWriter, r *http.Request) (start, count int, ok bool) {
	q := r.URL.Query()
	start, count = 0, defaultPageCount
	for _, p := range []struct {
		name string
		to   *int
		max  int
	}{{"start", &start, -1}, {"count", &count, maxPageCount}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || (p.max >= 0 && n > p.max) {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param %s: %q (count is 0 to %d, start 0 or more)", p.name, v, maxPageCount))
			return 0, 0, false
		}
		*p.to = n
	}
	return start, count, true
}

// collection is a finder's answer: one page of elements and its paging,
// with a next link when more follow.
func collection(r *http.Request, elements []any, start, count int) map[string]any {
	total := len(elements)
	shown := append([]any{}, elements[min(start, total):min(start+count, total)]...)
	links := []any{}
	if start+count < total && count > 0 {
		q := r.URL.Query()
		q.Set("start", strconv.Itoa(start+count))
		q.Set("count", strconv.Itoa(count))
		links = append(links, map[string]any{"type": "application/json", "rel": "next", "href": r.URL.Path + "?" + q.Encode()})
	}
	return map[string]any{"elements": shown, "paging": map[string]any{"start": start, "count": count, "total": total, "links": links}}
}

// The call-to-action labels LinkedIn takes on a post.
var callToActionLabels = []string{"APPLY", "DOWNLOAD", "VIEW_QUOTE", "LEARN_MORE", "SIGN_UP", "SUBSCRIBE", "REGISTER", "JOIN", "ATTEND", "REQUEST_DEMO", "SEE_MORE", "BUY_NOW", "SHOP_NOW"}

// ownPost finds a post the token's member may change: 404 for an unknown
// one, 403 for one whose author they may not act as.
func (s *Sandbox) ownPost(w http.ResponseWriter, r *http.Request, g *grant, method string) (*restPost, bool) {
	urn, ok := keyURN(w, r, "urn", postURN, "urn:li:share or urn:li:ugcPost")
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	post := s.restPosts[urn]
	var author string
	if post != nil {
		author = post.Author
	}
	s.mu.Unlock()
	if post == nil {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: "+urn)
		return nil, false
	}
	if !s.checkAuthor(w, author, g, "/author", access(r, postsResource, method)) {
		return nil, false
	}
	return post, true
}

// updateRestPost is POST /rest/posts/{urn} with X-RestLi-Method:
// PARTIAL_UPDATE and {"patch":{"$set":{...}}}: 204. Only commentary,
// contentCallToActionLabel, contentLandingPage and lifecycleState (a draft
// may be published, not the other way) may be set.
func (s *Sandbox) updateRestPost(w http.ResponseWriter, r *http.Request, g *grant) {
	if m := r.Header.Get("X-RestLi-Method"); m != "PARTIAL_UPDATE" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("X-RestLi-Method %q: POST on a post is a PARTIAL_UPDATE and needs X-RestLi-Method: PARTIAL_UPDATE", m))
		return
	}
	var body struct {
		Patch *struct {
			Set map[string]json.RawMessage `json:"$set"`
		} `json:"patch"`
	}
	if !decodeStrict(w, r, &body, "PatchRequest") {
		return
	}
	if body.Patch == nil || len(body.Patch.Set) == 0 {
		invalid(w, "/patch/$set", "field is required but not found and has no default value")
		return
	}
	var set struct {
		Commentary, ContentCallToActionLabel, LifecycleState, ContentLandingPage *string
	}
	for field, raw := range body.Patch.Set {
		to := map[string]**string{"commentary": &set.Commentary, "contentCallToActionLabel": &set.ContentCallToActionLabel,
			"lifecycleState": &set.LifecycleState, "contentLandingPage": &set.ContentLandingPage}[field]
		if to == nil {
			invalid(w, "/patch/$set/"+field, "field cannot be updated: only commentary, contentCallToActionLabel, contentLandingPage and lifecycleState can")
			return
		}
		if json.Unmarshal(raw, to) != nil || *to == nil {
			invalid(w, "/patch/$set/"+field, "must be a string")
			return
		}
	}
	post, ok := s.ownPost(w, r, g, "PARTIAL_UPDATE")
	if !ok {
		return
	}
	s.mu.Lock()
	state := post.LifecycleState
	s.mu.Unlock()
	var text, cut string
	switch {
	case set.ContentCallToActionLabel != nil && !slices.Contains(callToActionLabels, *set.ContentCallToActionLabel):
		invalid(w, "/patch/$set/contentCallToActionLabel", fmt.Sprintf("%q is not an enum symbol of CallToActionLabel", *set.ContentCallToActionLabel))
		return
	case set.ContentLandingPage != nil && !validURL(*set.ContentLandingPage):
		invalid(w, "/patch/$set/contentLandingPage", fmt.Sprintf("%q is not an http(s) URL", *set.ContentLandingPage))
		return
	case set.LifecycleState != nil && *set.LifecycleState != "PUBLISHED" && *set.LifecycleState != "DRAFT":
		invalid(w, "/patch/$set/lifecycleState", fmt.Sprintf("%q is not an enum symbol of LifecycleState", *set.LifecycleState))
		return
	case set.LifecycleState != nil && *set.LifecycleState == "DRAFT" && state == "PUBLISHED":
		invalid(w, "/patch/$set/lifecycleState", "a published post cannot go back to DRAFT")
		return
	case set.Commentary != nil:
		if text, cut, ok = littleText(w, "/patch/$set/commentary", *set.Commentary, commentaryLimit); !ok {
			return
		}
	}
	now := s.opts.Now().UnixMilli()
	s.mu.Lock()
	post.LastModifiedAt = now
	if set.Commentary != nil {
		post.Commentary = text
		post.LifecycleStateInfo.IsEditedByAuthor = post.LifecycleState == "PUBLISHED"
		// The same text again is now a duplicate of this post, not of
		// what it said before.
		if s.posts[post.fingerprint] == post.ID {
			delete(s.posts, post.fingerprint)
		}
		post.fingerprint = fingerprint(post.Author, *set.Commentary, post.Content, post.ReshareContext)
		s.posts[post.fingerprint] = post.ID
	}
	if set.ContentCallToActionLabel != nil {
		post.ContentCallToActionLabel = *set.ContentCallToActionLabel
	}
	if set.ContentLandingPage != nil {
		post.ContentLandingPage = *set.ContentLandingPage
	}
	if set.LifecycleState != nil && *set.LifecycleState == "PUBLISHED" && post.LifecycleState == "DRAFT" {
		post.LifecycleState, post.PublishedAt = "PUBLISHED", now
	}
	s.mu.Unlock()
	if cut != "" {
		s.logf("sandbox: post %s: commentary %s", post.ID, cut)
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteRestPost is DELETE /rest/posts/{urn} (X-RestLi-Method: DELETE
// optional): 204, and the post's comments and reactions go with it.
// Its content may then be posted again.
func (s *Sandbox) deleteRestPost(w http.ResponseWriter, r *http.Request, g *grant) {
	if m := r.Header.Get("X-RestLi-Method"); m != "" && m != "DELETE" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("X-RestLi-Method %q does not match DELETE", m))
		return
	}
	post, ok := s.ownPost(w, r, g, "DELETE")
	if !ok {
		return
	}
	s.mu.Lock()
	s.forgetPost(post)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// keepPost files a new post under its URN and its fingerprint, and
// forgets the oldest posts past Options.KeepPosts. s.mu is held.
func (s *Sandbox) keepPost(post *restPost) {
	s.posts[post.fingerprint] = post.ID
	s.restPosts[post.ID] = post
	s.postOrder = append(s.postOrder, post.ID)
	for len(s.restPosts) > s.opts.KeepPosts {
		oldest := s.postOrder[0]
		s.postOrder = s.postOrder[1:]
		if p := s.restPosts[oldest]; p != nil {
			s.forgetPost(p)
		}
	}
	// A post deleted since keeps its place in postOrder until it comes up
	// as the oldest; past twice the bound, postOrder is cut to the posts
	// still kept.
	if len(s.postOrder) > 2*s.opts.KeepPosts {
		s.postOrder = slices.DeleteFunc(s.postOrder, func(id string) bool { return s.restPosts[id] == nil })
	}
}

// forgetPost removes a post with its comments and reactions; its content
// may then be posted again. s.mu is held.
func (s *Sandbox) forgetPost(post *restPost) {
	delete(s.restPosts, post.ID)
	if s.posts[post.fingerprint] == post.ID {
		delete(s.posts, post.fingerprint)
	}
	delete(s.comments, post.ID)
	for k := range s.reactions {
		if k.entity == post.ID {
			delete(s.reactions, k)
		}
	}
}
