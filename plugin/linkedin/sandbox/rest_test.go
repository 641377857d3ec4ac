package sandbox_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"pluginserver/plugin/linkedin/sandbox"
)

// The /rest API as the sandbox's clock (November 2026) takes it.
const version = "202611"

var member = "urn:li:person:" + sandbox.Member["sub"].(string)

// enc percent-encodes a URN for a path, as LinkedIn's own clients do.
var enc = strings.NewReplacer(":", "%3A", "(", "%28", ")", "%29", ",", "%2C").Replace

// step is one call of a table test and what LinkedIn answers to it.
// {name} in path, body, header values and want is the URN a previous step
// saved under name, {name%} the same percent-encoded.
type step struct {
	name, method, path, token, body string
	header                          map[string]string
	status                          int
	want                            []string // in the answer's headers or body
	save                            string   // keeps x-restli-id under this name
	check                           func(t *testing.T, a answer)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// rest is an API calling the emulator as LinkedIn's clients call /rest.
type rest struct {
	t    *testing.T
	srv  *httptest.Server
	vars map[string]string
}

func newRest(t *testing.T, srv *httptest.Server) *rest {
	return &rest{t: t, srv: srv, vars: map[string]string{"member": member}}
}

func (c *rest) expand(s string) string {
	for k, v := range c.vars {
		s = strings.ReplaceAll(s, "{"+k+"%}", enc(v))
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// do sends a call with LinkedIn-Version and X-Restli-Protocol-Version
// set, unless header overrides them ("" drops one).
func (c *rest) do(method, path, token string, body io.Reader, header map[string]string) answer {
	c.t.Helper()
	target := path
	if !strings.HasPrefix(path, "http") {
		target = c.srv.URL + path
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("LinkedIn-Version", version)
	req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, c.expand(v))
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, raw}
}

func (c *rest) run(steps []step) {
	for _, s := range steps {
		c.t.Run(s.name, func(t *testing.T) {
			var body io.Reader
			if s.body != "" {
				body = strings.NewReader(c.expand(s.body))
			}
			a := c.do(s.method, c.expand(s.path), s.token, body, s.header)
			var headers strings.Builder
			a.header.Write(&headers)
			seen := headers.String() + string(a.body)
			if a.status != s.status {
				t.Fatalf("%s %s: %d, want %d\n%s", s.method, s.path, a.status, s.status, seen)
			}
			for _, want := range s.want {
				if !strings.Contains(seen, c.expand(want)) {
					t.Errorf("answer lacks %q:\n%s", c.expand(want), seen)
				}
			}
			if a.status >= 400 && !regexp.MustCompile(fmt.Sprintf(`"status":%d\b`, a.status)).Match(a.body) {
				t.Errorf("error body is not LinkedIn's: %s", a.body)
			}
			if s.save != "" {
				c.vars[s.save] = a.header.Get("X-Restli-Id")
			}
			if s.check != nil {
				s.check(t, a)
			}
		})
	}
}

// decode is an answer's JSON body.
func decode[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
	return v
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// post is a POST /rest/posts body; more are extra key, value pairs.
func post(author, commentary string, more ...any) string {
	p := map[string]any{"author": author, "commentary": commentary, "visibility": "PUBLIC",
		"distribution":   map[string]any{"feedDistribution": "MAIN_FEED", "targetEntities": []any{}, "thirdPartyDistributionChannels": []any{}},
		"lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": false}
	for i := 0; i+1 < len(more); i += 2 {
		p[more[i].(string)] = more[i+1]
	}
	return jsonOf(p)
}

// Bytes of each format the Images and Documents APIs take.
var (
	png  = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...)
	jpeg = append([]byte("\xFF\xD8\xFF\xE0"), bytes.Repeat([]byte{1}, 50)...)
	pdf  = []byte("%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")
	docx = []byte("PK\x03\x04\x14\x00\x06\x00word/document.xml")
	doc  = []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 compound file")
)

// upload initializes an image or document for owner and, unless data is
// nil, uploads data to it; it returns the URN and the upload URL.
func (c *rest) upload(token, kind, owner string, data []byte) (urn, uploadURL string) {
	c.t.Helper()
	a := c.do("POST", "/rest/"+kind+"s?action=initializeUpload", token,
		strings.NewReader(jsonOf(map[string]any{"initializeUploadRequest": map[string]string{"owner": owner}})), nil)
	v := decode[struct{ Value map[string]any }](c.t, a)
	urn, _ = v.Value[kind].(string)
	uploadURL, _ = v.Value["uploadUrl"].(string)
	if a.status != 200 || urn == "" || uploadURL == "" {
		c.t.Fatalf("initializeUpload: %d %s", a.status, a.body)
	}
	if data != nil {
		if a := c.do("PUT", uploadURL, token, bytes.NewReader(data), nil); a.status != 201 {
			c.t.Fatalf("upload: %d %s", a.status, a.body)
		}
	}
	return urn, uploadURL
}

// logs collects what the emulator logs.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// tokens are the sandbox member's tokens for the scopes the tests need:
// member posts as the member (self-serve) and may not read posts or
// comments; page is a Community Management token with every page scope
// and r_member_social; memberReader reads the member's posts and comments
// (r_member_social only); reader reads pages' (r_organization_social only).
type tokens struct{ member, page, pageOnly, profile, reader, memberReader string }

func tokensFor(t *testing.T, srv *httptest.Server) tokens {
	return tokens{
		member:   tokenFor(t, srv, "openid w_member_social"),
		page:     tokenFor(t, srv, "r_basicprofile w_member_social w_organization_social r_member_social r_organization_social rw_organization_admin"),
		pageOnly: tokenFor(t, srv, "w_organization_social"),
		profile:  tokenFor(t, srv, "openid profile"),
		reader:   tokenFor(t, srv, "r_organization_social"),
		// LinkedIn reads a member's posts and comments only with r_member_social.
		memberReader: tokenFor(t, srv, "r_member_social"),
	}
}

var (
	page      = sandbox.Pages[0].URN()
	otherPage = sandbox.OtherPage.URN()
)

func TestRestPosts(t *testing.T) {
	srv, _ := start(t, sandbox.Options{})
	tok := tokensFor(t, srv)
	c := newRest(t, srv)
	image, _ := c.upload(tok.member, "image", member, png)
	image2, _ := c.upload(tok.member, "image", member, jpeg)
	waiting, _ := c.upload(tok.member, "image", member, nil)
	document, _ := c.upload(tok.member, "document", member, pdf)
	media := func(id string) map[string]any {
		return map[string]any{"media": map[string]any{"id": id, "title": "T", "altText": "A"}}
	}
	article := map[string]any{"source": "https://example.com/a", "title": "A title", "description": "D", "thumbnail": image}
	pollOf := func(options ...string) map[string]any {
		var o []any
		for _, text := range options {
			o = append(o, map[string]string{"text": text})
		}
		return map[string]any{"poll": map[string]any{"question": "Which?", "options": o, "settings": map[string]string{"duration": "THREE_DAYS"}}}
	}
	images := func(ids ...string) map[string]any {
		var list []any
		for _, id := range ids {
			list = append(list, map[string]string{"id": id, "altText": "x"})
		}
		return map[string]any{"multiImage": map[string]any{"images": list}}
	}
	update := map[string]string{"X-RestLi-Method": "PARTIAL_UPDATE"}
	c.run([]step{
		{name: "text post", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Hello #sandbox world"), status: 201, want: []string{"X-Restli-Id: urn:li:share:"}, save: "first",
			check: func(t *testing.T, a answer) {
				if len(a.body) != 0 {
					t.Errorf("body %q, want empty", a.body)
				}
			}},
		{name: "same content twice", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Hello #sandbox world"), status: 422, want: []string{`"code":"DUPLICATE_POST"`, `"inputErrors"`, "duplicate of {first}"}},
		{name: "token without w_member_social", method: "POST", path: "/rest/posts", token: tok.profile, body: post(member, "x"), status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "page without w_organization_social", method: "POST", path: "/rest/posts", token: tok.member, body: post(page, "x"), status: 403, want: []string{"ACCESS_DENIED", "partnerApiPostsExternal.CREATE.20261101", "needs w_organization_social"}},
		{name: "member without w_member_social", method: "POST", path: "/rest/posts", token: tok.pageOnly, body: post(member, "x"), status: 403, want: []string{"needs w_member_social"}},
		{name: "page the member administers", method: "POST", path: "/rest/posts", token: tok.page, body: post(page, "From the page"), status: 201, save: "pagePost"},
		{name: "page with only w_organization_social", method: "POST", path: "/rest/posts", token: tok.pageOnly, body: post(page, "Page only"), status: 201},
		{name: "page the member does not administer", method: "POST", path: "/rest/posts", token: tok.page, body: post(otherPage, "x"), status: 403,
			want: []string{"ACCESS_DENIED", member + " holds no APPROVED role that may post (ADMINISTRATOR, CONTENT_ADMINISTRATOR) on urn:li:organization:1337"}},
		{name: "page the member is a CONTENT_ADMINISTRATOR of", method: "POST", path: "/rest/posts", token: tok.page, body: post(sandbox.Pages[1].URN(), "From the labs"), status: 201},
		{name: "page the member is an ANALYST of", method: "POST", path: "/rest/posts", token: tok.page, body: post(sandbox.Pages[2].URN(), "x"), status: 403,
			want: []string{"ACCESS_DENIED", "holds no APPROVED role that may post (ADMINISTRATOR, CONTENT_ADMINISTRATOR) on urn:li:organization:5000002"}},
		{name: "another member", method: "POST", path: "/rest/posts", token: tok.member, body: post("urn:li:person:123456789", "x"), status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "wrong kind of URN as author", method: "POST", path: "/rest/posts", token: tok.member, body: post("urn:li:company:1", "x"), status: 422, want: []string{"/author"}},
		{name: "unknown field", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "colour", "red"), status: 422, want: []string{"/colour"}},
		{name: "field of the wrong type", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "isReshareDisabledByAuthor", "no"), status: 422, want: []string{"/isReshareDisabledByAuthor"}},
		{name: "visibility", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "visibility", "EVERYONE"), status: 422, want: []string{"/visibility"}},
		{name: "feedDistribution", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "distribution", map[string]any{"feedDistribution": "EVERYWHERE"}), status: 422, want: []string{"/distribution/feedDistribution"}},
		{name: "lifecycleState", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "lifecycleState", "published"), status: 422, want: []string{"/lifecycleState"}},
		{name: "commentary of 3001 characters", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, strings.Repeat("é", 3001)), status: 422, want: []string{"/commentary"}},
		{name: "commentary of 3000 characters", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, strings.Repeat("é", 3000)), status: 201},
		{name: "no commentary and no content", method: "POST", path: "/rest/posts", token: tok.member, body: `{"author":"` + member + `","visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED"},"lifecycleState":"PUBLISHED"}`, status: 422, want: []string{"/commentary"}},
		{name: "image", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "An image", "content", media(image)), status: 201, save: "imagePost"},
		{name: "document", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "A document", "content", media(document)), status: 201},
		{name: "image not uploaded", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", media(waiting)), status: 422, want: []string{"/content/media/id", "not AVAILABLE"}},
		{name: "unknown image", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", media("urn:li:image:C4E10AQnope")), status: 422, want: []string{"/content/media/id"}},
		{name: "media of the wrong kind of URN", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", media("urn:li:digitalmediaAsset:C5")), status: 422, want: []string{"/content/media/id"}},
		{name: "image URN naming a document", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", media(strings.Replace(document, "document", "image", 1))), status: 422, want: []string{"not AVAILABLE"}},
		{name: "article", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "An article", "content", map[string]any{"article": article}), status: 201},
		{name: "article without a URL", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", map[string]any{"article": map[string]any{"source": "example.com", "title": "T"}}), status: 422, want: []string{"/content/article/source"}},
		{name: "multiImage", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Two images", "content", images(image, image2)), status: 201},
		{name: "multiImage with one image", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", images(image)), status: 422, want: []string{"/content/multiImage/images", "2 to 20"}},
		{name: "multiImage with a document", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", images(image, document)), status: 422, want: []string{"/content/multiImage/images/1/id"}},
		{name: "poll", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "A poll", "content", pollOf("Yes", "No")), status: 201},
		{name: "poll with one option", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", pollOf("Yes")), status: 422, want: []string{"/content/poll/options", "2 to 4"}},
		{name: "poll with five options", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", pollOf("1", "2", "3", "4", "5")), status: 422, want: []string{"/content/poll/options"}},
		{name: "poll of an unknown duration", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", map[string]any{"poll": map[string]any{"question": "Q", "options": []any{map[string]string{"text": "a"}, map[string]string{"text": "b"}}, "settings": map[string]string{"duration": "ONE_WEEK"}}}), status: 422, want: []string{"/content/poll/settings/duration"}},
		{name: "two kinds of content", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", map[string]any{"media": map[string]any{"id": image}, "article": article}), status: 422, want: []string{"/content", "exactly one of"}},
		{name: "an unknown kind of content", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "x", "content", map[string]any{"carousel": map[string]any{}}), status: 422, want: []string{"/carousel"}},
		{name: "reshare", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Look", "reshareContext", map[string]string{"parent": "{first}"}), status: 201},
		{name: "reshare of an unknown post", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Look", "reshareContext", map[string]string{"parent": "urn:li:share:1"}), status: 422, want: []string{"/reshareContext/parent"}},
		{name: "no LinkedIn-Version", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "v"), header: map[string]string{"LinkedIn-Version": ""}, status: 400, want: []string{"VERSION_MISSING"}},
		{name: "a retired version", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "v"), header: map[string]string{"LinkedIn-Version": "202511"}, status: 426, want: []string{"NONEXISTENT_VERSION"}},

		{name: "get", method: "GET", path: "/rest/posts/{first%}", token: tok.memberReader, status: 200,
			want: []string{`"id":"{first}"`, `"author":"` + member + `"`, `"commentary":"Hello #sandbox world"`, `"visibility":"PUBLIC"`, `"lifecycleState":"PUBLISHED"`,
				`"distribution":{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]}`, `"isReshareDisabledByAuthor":false`,
				`"createdAt":1795910400000`, `"lastModifiedAt":1795910400000`, `"publishedAt":1795910400000`}},
		{name: "get an image post", method: "GET", path: "/rest/posts/{imagePost%}", token: tok.memberReader, status: 200, want: []string{`"content":{"media":{"id":"` + image + `","title":"T","altText":"A"}}`}},
		{name: "get with r_organization_social", method: "GET", path: "/rest/posts/{first%}", token: tok.reader, status: 200, want: []string{`"id":"{first}"`}},
		{name: "get an unknown post", method: "GET", path: "/rest/posts/" + enc("urn:li:share:1"), token: tok.memberReader, status: 404, want: []string{"RESOURCE_NOT_FOUND"}},
		{name: "get with the URN unencoded", method: "GET", path: "/rest/posts/{first}", token: tok.memberReader, status: 400, want: []string{"percent-encoded"}},
		{name: "get a URN of the wrong kind", method: "GET", path: "/rest/posts/" + enc(image), token: tok.memberReader, status: 400, want: []string{"urn:li:share or urn:li:ugcPost"}},
		{name: "get without a social scope", method: "GET", path: "/rest/posts/{first%}", token: tok.profile, status: 403, want: []string{"ACCESS_DENIED"}},
		// w_member_social writes; it reads nothing, not even the member's own posts.
		{name: "get with only w_member_social", method: "GET", path: "/rest/posts/{first%}", token: tok.member, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "get with only w_organization_social", method: "GET", path: "/rest/posts/{first%}", token: tok.pageOnly, status: 403, want: []string{"ACCESS_DENIED"}},

		{name: "find by author", method: "GET", path: "/rest/posts?q=author&author={member%}&count=2", token: tok.memberReader, status: 200, check: func(t *testing.T, a answer) {
			v := decode[struct {
				Elements []struct{ ID, Commentary string }
				Paging   struct {
					Start, Count, Total int
					Links               []struct{ Rel, Href string }
				}
			}](t, a)
			if len(v.Elements) != 2 || v.Elements[0].Commentary != "Look" || v.Paging.Start != 0 || v.Paging.Count != 2 || v.Paging.Total != 8 ||
				len(v.Paging.Links) != 1 || v.Paging.Links[0].Rel != "next" || !strings.Contains(v.Paging.Links[0].Href, "start=2") {
				t.Errorf("%s", a.body)
			}
		}},
		{name: "find a page's posts", method: "GET", path: "/rest/posts?q=author&author=" + enc(page) + "&start=1", token: tok.page, status: 200, want: []string{`"elements":[{"id":"{pagePost}"`, `"paging":{"count":10,"links":[],"start":1,"total":2}`}},
		{name: "find by author with only w_member_social", method: "GET", path: "/rest/posts?q=author&author={member%}", token: tok.member, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "find the member's posts with r_organization_social", method: "GET", path: "/rest/posts?q=author&author={member%}", token: tok.reader, status: 403, want: []string{"ACCESS_DENIED", "needs r_member_social"}},
		{name: "find a page's posts with r_member_social", method: "GET", path: "/rest/posts?q=author&author=" + enc(page), token: tok.memberReader, status: 403, want: []string{"ACCESS_DENIED", "needs r_organization_social"}},
		{name: "find a page's posts with r_organization_social", method: "GET", path: "/rest/posts?q=author&author=" + enc(page), token: tok.reader, status: 200, want: []string{`"total":2`}},
		{name: "find with count 101", method: "GET", path: "/rest/posts?q=author&author={member%}&count=101", token: tok.memberReader, status: 400},
		{name: "find with another finder", method: "GET", path: "/rest/posts?q=authors&author={member%}", token: tok.member, status: 400, want: []string{"q"}},
		{name: "find a page the member does not administer", method: "GET", path: "/rest/posts?q=author&author=" + enc(otherPage), token: tok.page, status: 403, want: []string{"ACCESS_DENIED"}},

		{name: "update", method: "POST", path: "/rest/posts/{first%}", token: tok.member, header: update, body: `{"patch":{"$set":{"commentary":"Edited","contentCallToActionLabel":"LEARN_MORE","contentLandingPage":"https://example.com/l"}}}`, status: 204},
		{name: "updated", method: "GET", path: "/rest/posts/{first%}", token: tok.memberReader, status: 200, want: []string{`"commentary":"Edited"`, `"isEditedByAuthor":true`, `"contentCallToActionLabel":"LEARN_MORE"`, `"contentLandingPage":"https://example.com/l"`}},
		{name: "update without X-RestLi-Method", method: "POST", path: "/rest/posts/{first%}", token: tok.member, body: `{"patch":{"$set":{"commentary":"x"}}}`, status: 400, want: []string{"PARTIAL_UPDATE"}},
		{name: "update a field that cannot change", method: "POST", path: "/rest/posts/{first%}", token: tok.member, header: update, body: `{"patch":{"$set":{"visibility":"CONNECTIONS"}}}`, status: 422, want: []string{"/patch/$set/visibility"}},
		{name: "update back to a draft", method: "POST", path: "/rest/posts/{first%}", token: tok.member, header: update, body: `{"patch":{"$set":{"lifecycleState":"DRAFT"}}}`, status: 422, want: []string{"/patch/$set/lifecycleState"}},
		{name: "update with a bad label", method: "POST", path: "/rest/posts/{first%}", token: tok.member, header: update, body: `{"patch":{"$set":{"contentCallToActionLabel":"CLICK"}}}`, status: 422},
		{name: "update a page's post without w_organization_social", method: "POST", path: "/rest/posts/{pagePost%}", token: tok.member, header: update, body: `{"patch":{"$set":{"commentary":"x"}}}`, status: 403, want: []string{"partnerApiPostsExternal.PARTIAL_UPDATE"}},
		{name: "update an unknown post", method: "POST", path: "/rest/posts/" + enc("urn:li:share:1"), token: tok.member, header: update, body: `{"patch":{"$set":{"commentary":"x"}}}`, status: 404},

		{name: "delete a page's post without w_organization_social", method: "DELETE", path: "/rest/posts/{pagePost%}", token: tok.member, status: 403},
		{name: "delete", method: "DELETE", path: "/rest/posts/{first%}", token: tok.member, header: map[string]string{"X-RestLi-Method": "DELETE"}, status: 204},
		{name: "deleted", method: "GET", path: "/rest/posts/{first%}", token: tok.memberReader, status: 404},
		{name: "delete again", method: "DELETE", path: "/rest/posts/{first%}", token: tok.member, status: 404},
		{name: "delete without X-RestLi-Method", method: "DELETE", path: "/rest/posts/{pagePost%}", token: tok.page, status: 204},
		{name: "post what was deleted again", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Edited"), status: 201},
	})
}

func TestRestDrafts(t *testing.T) {
	srv, _ := start(t, sandbox.Options{})
	c := newRest(t, srv)
	token := tokenFor(t, srv, "w_member_social")
	reader := tokenFor(t, srv, "r_member_social")
	c.run([]step{
		{name: "draft", method: "POST", path: "/rest/posts", token: token, body: post(member, "Later", "lifecycleState", "DRAFT"), status: 201, save: "draft"},
		{name: "a draft is not published", method: "GET", path: "/rest/posts/{draft%}?viewContext=AUTHOR", token: reader, status: 200, check: func(t *testing.T, a answer) {
			if strings.Contains(string(a.body), "publishedAt") || !strings.Contains(string(a.body), `"lifecycleState":"DRAFT"`) {
				t.Errorf("%s", a.body)
			}
		}},
		{name: "a draft is not there for readers", method: "GET", path: "/rest/posts/{draft%}", token: reader, status: 404, want: []string{"RESOURCE_NOT_FOUND"}},
		{name: "a view LinkedIn does not know", method: "GET", path: "/rest/posts/{draft%}?viewContext=OWNER", token: reader, status: 400},
		{name: "a draft read with only w_member_social", method: "GET", path: "/rest/posts/{draft%}?viewContext=AUTHOR", token: token, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "publish it", method: "POST", path: "/rest/posts/{draft%}", token: token, header: map[string]string{"X-RestLi-Method": "PARTIAL_UPDATE"}, body: `{"patch":{"$set":{"lifecycleState":"PUBLISHED"}}}`, status: 204},
		{name: "published", method: "GET", path: "/rest/posts/{draft%}", token: reader, status: 200, want: []string{`"lifecycleState":"PUBLISHED"`, `"publishedAt":1795910400000`, `"isEditedByAuthor":false`}},
	})
}

// TestUGCPostsAreRestPosts checks that a post made through /v2/ugcPosts
// can be read through /rest/posts, and that the same text through either
// API is a duplicate, as on LinkedIn where both make the same posts.
func TestUGCPostsAreRestPosts(t *testing.T) {
	srv, _ := start(t, sandbox.Options{})
	c := newRest(t, srv)
	token := tokenFor(t, srv, "w_member_social")
	reader := tokenFor(t, srv, "r_member_social")
	ugc := `{"author":"` + member + `","lifecycleState":"PUBLISHED","specificContent":{"com.linkedin.ugc.ShareContent":{"shareCommentary":{"text":"Twice"},"shareMediaCategory":"NONE"}},"visibility":{"com.linkedin.ugc.MemberNetworkVisibility":"CONNECTIONS"}}`
	c.run([]step{
		{name: "ugcPost", method: "POST", path: "/v2/ugcPosts", token: token, body: ugc, status: 201, save: "ugc"},
		{name: "read through /rest/posts", method: "GET", path: "/rest/posts/{ugc%}", token: reader, status: 200, want: []string{`"commentary":"Twice"`, `"visibility":"CONNECTIONS"`}},
		{name: "read with only w_member_social", method: "GET", path: "/rest/posts/{ugc%}", token: token, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "the same text through /rest/posts", method: "POST", path: "/rest/posts", token: token, body: post(member, "Twice"), status: 422, want: []string{"DUPLICATE_POST", "{ugc}"}},
	})
}

// The sandbox keeps the newest posts, however made, and forgets the
// oldest with their comments: a forgotten post is not found, and its
// text may be posted again.
func TestKeepPosts(t *testing.T) {
	srv, _ := start(t, sandbox.Options{KeepPosts: 2})
	tok := tokensFor(t, srv)
	c := newRest(t, srv)
	ugc := `{"author":"` + member + `","lifecycleState":"PUBLISHED","specificContent":{"com.linkedin.ugc.ShareContent":{"shareCommentary":{"text":"Oldest"},"shareMediaCategory":"NONE"}},"visibility":{"com.linkedin.ugc.MemberNetworkVisibility":"PUBLIC"}}`
	comment := jsonOf(map[string]any{"actor": member, "object": "{oldest}", "message": map[string]string{"text": "On the oldest"}})
	notFound := []string{"RESOURCE_NOT_FOUND"}
	c.run([]step{
		{name: "the oldest, by ugcPosts", method: "POST", path: "/v2/ugcPosts", token: tok.member, body: ugc, status: 201, save: "oldest"},
		{name: "a comment on it", method: "POST", path: "/rest/socialActions/{oldest%}/comments", token: tok.member, body: comment, status: 201},
		{name: "the second", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Second"), status: 201, save: "second"},
		{name: "the oldest is kept at the bound", method: "GET", path: "/rest/posts/{oldest%}", token: tok.memberReader, status: 200},
		{name: "the third", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Third"), status: 201, save: "third"},
		{name: "the oldest is forgotten", method: "GET", path: "/rest/posts/{oldest%}", token: tok.memberReader, status: 404, want: notFound},
		{name: "with its comments", method: "GET", path: "/rest/socialActions/{oldest%}/comments", token: tok.memberReader, status: 404, want: notFound},
		{name: "the second is kept", method: "GET", path: "/rest/posts/{second%}", token: tok.memberReader, status: 200, want: []string{`"commentary":"Second"`}},
		{name: "the third's text is still a duplicate", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Third"), status: 422, want: []string{"DUPLICATE_POST"}},
		{name: "the oldest's text is not", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Oldest"), status: 201, save: "again"},
		{name: "the third, deleted", method: "DELETE", path: "/rest/posts/{third%}", token: tok.member, status: 204},
		{name: "a fifth", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Fifth"), status: 201},
		// The deleted third left room: the oldest kept stays.
		{name: "the oldest kept stays", method: "GET", path: "/rest/posts/{again%}", token: tok.memberReader, status: 200},
		{name: "a sixth", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Sixth"), status: 201},
		{name: "now it is forgotten", method: "GET", path: "/rest/posts/{again%}", token: tok.memberReader, status: 404, want: notFound},
	})
}

// Posts made and deleted over and over leave the sandbox's list of posts
// bounded, and the newest kept.
func TestKeepPostsAfterManyDeleted(t *testing.T) {
	srv, _ := start(t, sandbox.Options{KeepPosts: 2})
	tok := tokensFor(t, srv)
	c := newRest(t, srv)
	var steps []step
	for i := range 9 {
		steps = append(steps,
			step{name: fmt.Sprint("made ", i), method: "POST", path: "/rest/posts", token: tok.member, body: post(member, fmt.Sprint("Gone ", i)), status: 201, save: "gone"},
			step{name: fmt.Sprint("deleted ", i), method: "DELETE", path: "/rest/posts/{gone%}", token: tok.member, status: 204})
	}
	for _, name := range []string{"a", "b", "c"} {
		steps = append(steps, step{name: name, method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Kept "+name), status: 201, save: name})
	}
	c.run(append(steps,
		step{name: "a is forgotten", method: "GET", path: "/rest/posts/{a%}", token: tok.memberReader, status: 404},
		step{name: "b is kept", method: "GET", path: "/rest/posts/{b%}", token: tok.memberReader, status: 200},
		step{name: "c is kept", method: "GET", path: "/rest/posts/{c%}", token: tok.memberReader, status: 200}))
}

func TestRefuseVersionsAfter(t *testing.T) {
	srv, _ := start(t, sandbox.Options{RefuseVersionsAfter: "202610"})
	c := newRest(t, srv)
	tok := tokensFor(t, srv)
	c.run([]step{
		{name: "a version after it", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "v"), status: 426, want: []string{"NONEXISTENT_VERSION", "Requested version 202611 is not active"}},
		{name: "the version itself", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "v"), header: map[string]string{"LinkedIn-Version": "202610"}, status: 201},
		{name: "an older one", method: "GET", path: "/rest/organizationAcls?q=roleAssignee", token: tok.page, header: map[string]string{"LinkedIn-Version": "202601"}, status: 200},
		{name: "pages too", method: "GET", path: "/rest/organizationAcls?q=roleAssignee", token: tok.page, status: 426, want: []string{"NONEXISTENT_VERSION"}},
		{name: "media status too", method: "GET", path: "/rest/images/" + enc("urn:li:image:X"), token: tok.member, status: 426},
	})
}

// TestLittleText checks LinkedIn's rule for little text: an unescaped
// reserved character cuts the published commentary there, and the
// sandbox's log says so.
func TestLittleText(t *testing.T) {
	var log logs
	srv, _ := start(t, sandbox.Options{Logf: log.Logf})
	c := newRest(t, srv)
	token := tokenFor(t, srv, "w_member_social")
	reader := tokenFor(t, srv, "r_member_social")
	tests := []struct {
		name, text, published string
		cut                   string // in the log line, "" when whole
	}{
		{"plain", "Hello world.", "Hello world.", ""},
		{"hashtags", "Ship it #golang #go_1_26 #été", "Ship it #golang #go_1_26 #été", ""},
		{"mentions", "Thanks @[Jane Doe](urn:li:person:abc123) and @[Sandbox Labs](urn:li:organization:5000001)!", "Thanks @[Jane Doe](urn:li:person:abc123) and @[Sandbox Labs](urn:li:organization:5000001)!", ""},
		{"URLs", "Read https://example.com/a_b(c)~d?x=#y now", "Read https://example.com/a_b(c)~d?x=#y now", ""},
		{"escaped", `Escaped \(brackets\), \#not \_ \* \\ \| \~ \< \> \{ \} \[ \] \@`, `Escaped \(brackets\), \#not \_ \* \\ \| \~ \< \> \{ \} \[ \] \@`, ""},
		{"parenthesis", "Price (USD) is 5", "Price ", `cut at offset 6 by an unescaped "("`},
		{"underscore", "snake_case", "snake", `cut at offset 5 by an unescaped "_"`},
		{"lone hash", "# alone", "", `cut at offset 0 by an unescaped "#"`},
		{"at without a mention", "mail me @John", "mail me ", `cut at offset 8 by an unescaped "@"`},
		{"mention of a company URN", "Hi @[X](urn:li:company:1)", "Hi ", `cut at offset 3 by an unescaped "@"`},
		{"angle brackets", "a <b> c", "a ", `cut at offset 2 by an unescaped "<"`},
		{"offset in characters", "émoji ✓ then *bold*", "émoji ✓ then ", `cut at offset 13 by an unescaped "*"`},
		{"trailing backslash", `ends with \`, "ends with ", `cut at offset 10 by an unescaped "\\"`},
		{"pipe", "a | b", "a ", `cut at offset 2 by an unescaped "|"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(log.String())
			a := c.do("POST", "/rest/posts", token, strings.NewReader(post(member, tt.text)), nil)
			urn := a.header.Get("X-Restli-Id")
			if a.status != 201 || urn == "" {
				t.Fatalf("%d %s", a.status, a.body)
			}
			read := c.do("GET", "/rest/posts/"+enc(urn), reader, nil, nil)
			if read.status != 200 {
				t.Fatalf("GET: %d %s", read.status, read.body)
			}
			got := decode[struct{ Commentary string }](t, read)
			if got.Commentary != tt.published {
				t.Errorf("published %q, want %q", got.Commentary, tt.published)
			}
			logged := log.String()[before:]
			if tt.cut == "" && logged != "" {
				t.Errorf("logged %q for a whole text", logged)
			}
			if want := "sandbox: post " + urn + ": commentary " + tt.cut + " (LinkedIn publishes little text only up to an unescaped reserved character)"; tt.cut != "" && strings.TrimSpace(logged) != want {
				t.Errorf("logged %q\nwant     %q", logged, want)
			}
		})
	}
}

func TestRestMedia(t *testing.T) {
	srv, s := start(t, sandbox.Options{})
	tok := tokensFor(t, srv)
	c := newRest(t, srv)
	image, imageURL := c.upload(tok.member, "image", member, nil)
	image2, image2URL := c.upload(tok.member, "image", member, nil)
	document, documentURL := c.upload(tok.member, "document", member, nil)
	docx2, docxURL := c.upload(tok.member, "document", member, nil)
	doc2, docURL := c.upload(tok.member, "document", member, nil)
	c.vars["image"], c.vars["document"] = image, document
	initialize := func(owner string) string {
		return jsonOf(map[string]any{"initializeUploadRequest": map[string]string{"owner": owner}})
	}
	sum := sha256.Sum256(png)
	c.run([]step{
		{name: "initialize an image", method: "POST", path: "/rest/images?action=initializeUpload", token: tok.member, body: initialize(member), status: 200, check: func(t *testing.T, a answer) {
			v := decode[struct {
				Value struct {
					UploadURLExpiresAt int64 `json:"uploadUrlExpiresAt"`
					UploadURL          string
					Image              string
				}
			}](t, a)
			id := strings.TrimPrefix(v.Value.Image, "urn:li:image:")
			if id == v.Value.Image || v.Value.UploadURL != srv.URL+"/mediaUpload/image/"+id || v.Value.UploadURLExpiresAt != 1795910400000+24*3600*1000 {
				t.Errorf("%s", a.body)
			}
		}},
		{name: "initialize a document", method: "POST", path: "/rest/documents?action=initializeUpload", token: tok.member, body: initialize(member), status: 200, want: []string{`"document":"urn:li:document:`, `/mediaUpload/document/`}},
		{name: "initialize for a page", method: "POST", path: "/rest/images?action=initializeUpload", token: tok.page, body: initialize(page), status: 200},
		{name: "for a page without w_organization_social", method: "POST", path: "/rest/images?action=initializeUpload", token: tok.member, body: initialize(page), status: 403, want: []string{"images.ACTION-initializeUpload.20261101", "w_organization_social"}},
		{name: "for a page the member does not administer", method: "POST", path: "/rest/documents?action=initializeUpload", token: tok.page, body: initialize(otherPage), status: 403, want: []string{"urn:li:organization:1337"}},
		{name: "for a wrong kind of URN", method: "POST", path: "/rest/images?action=initializeUpload", token: tok.member, body: initialize("urn:li:image:X"), status: 422, want: []string{"/initializeUploadRequest/owner"}},
		{name: "another action", method: "POST", path: "/rest/images?action=registerUpload", token: tok.member, body: initialize(member), status: 400},
		{name: "an unknown field", method: "POST", path: "/rest/images?action=initializeUpload", token: tok.member, body: `{"initializeUploadRequest":{"owner":"` + member + `","recipes":[]}}`, status: 422, want: []string{"/recipes"}},
		{name: "without a social scope", method: "POST", path: "/rest/images?action=initializeUpload", token: tok.profile, body: initialize(member), status: 403},

		{name: "status before the upload", method: "GET", path: "/rest/images/{image%}", token: tok.member, status: 200, want: []string{`"status":"WAITING_UPLOAD"`, `"owner":"` + member + `"`, `"id":"{image}"`}},
		{name: "status with r_member_social", method: "GET", path: "/rest/images/{image%}", token: tok.memberReader, status: 200, want: []string{`"status":"WAITING_UPLOAD"`}},
		{name: "status without a social scope", method: "GET", path: "/rest/images/{image%}", token: tok.profile, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "upload without a token", method: "PUT", path: imageURL, body: string(png), status: 401, want: []string{"INVALID_ACCESS_TOKEN"}},
		// The old /mediaUpload/{asset}/* never sniffs: this 400 is the new route's.
		{name: "upload what is not an image", method: "PUT", path: imageURL, token: tok.member, body: "<svg></svg>", status: 400, want: []string{"JPG, GIF or PNG"}},
		{name: "upload a PNG", method: "PUT", path: imageURL, token: tok.member, body: string(png), status: 201, check: func(t *testing.T, a answer) {
			size, sha, ok := s.Media(image)
			if !ok || size != int64(len(png)) || sha != hex.EncodeToString(sum[:]) {
				t.Errorf("Media: %d %s %v", size, sha, ok)
			}
			if _, _, ok := s.Media(strings.Replace(image, "image", "document", 1)); ok {
				t.Error("Media answers for an image URN named as a document")
			}
		}},
		{name: "status after the upload", method: "GET", path: "/rest/images/{image%}", token: tok.member, status: 200, want: []string{`"status":"AVAILABLE"`, `"downloadUrl":"` + srv.URL + `/media/`}},
		{name: "upload a JPEG with POST", method: "POST", path: image2URL, token: tok.member, body: string(jpeg), status: 201},
		{name: "upload to an unknown image", method: "PUT", path: "/mediaUpload/image/C4E10AQnope", token: tok.member, body: string(png), status: 404},
		{name: "upload an image to a document's URL", method: "PUT", path: strings.Replace(image2URL, "/image/", "/document/", 1), token: tok.member, body: string(pdf), status: 404},

		{name: "upload what is not a document", method: "PUT", path: documentURL, token: tok.member, body: "plain text", status: 400, want: []string{"PDF, PPT, PPTX, DOC or DOCX"}},
		{name: "upload a PDF", method: "PUT", path: documentURL, token: tok.member, body: string(pdf), status: 201},
		{name: "a document is processed first", method: "GET", path: "/rest/documents/{document%}", token: tok.member, status: 200, want: []string{`"status":"PROCESSING"`}},
		{name: "then available", method: "GET", path: "/rest/documents/{document%}", token: tok.member, status: 200, want: []string{`"status":"AVAILABLE"`, `"downloadUrl"`}},
		{name: "upload a DOCX", method: "PUT", path: docxURL, token: tok.member, body: string(docx), status: 201},
		{name: "upload a DOC", method: "PUT", path: docURL, token: tok.member, body: string(doc), status: 201},
		{name: "an image's status is not a document's", method: "GET", path: "/rest/documents/" + enc(strings.Replace(image, "image", "document", 1)), token: tok.member, status: 404},
	})
	for _, urn := range []string{image2, docx2, doc2} {
		if _, _, ok := s.Media(urn); !ok {
			t.Errorf("Media(%s) has no bytes", urn)
		}
	}

	t.Run("assets still upload at their own URLs", func(t *testing.T) {
		a := c.do("POST", "/v2/assets?action=registerUpload", tok.member, strings.NewReader(jsonOf(map[string]any{"registerUploadRequest": map[string]any{
			"recipes": []string{"urn:li:digitalmediaRecipe:feedshare-image"}, "owner": member,
			"serviceRelationships": []any{map[string]string{"relationshipType": "OWNER", "identifier": "urn:li:userGeneratedContent"}}}})), nil)
		var v struct {
			Value struct {
				UploadMechanism map[string]struct{ UploadURL string } `json:"uploadMechanism"`
				Asset           string
			}
		}
		json.Unmarshal(a.body, &v)
		upload := v.Value.UploadMechanism["com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest"].UploadURL
		if a := c.do("PUT", upload, tok.member, strings.NewReader("any bytes"), nil); a.status != 201 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if _, _, ok := s.Media(v.Value.Asset); !ok {
			t.Error("Media does not see the asset's bytes")
		}
		if _, _, ok := s.Uploaded(v.Value.Asset); !ok {
			t.Error("Uploaded does not see the asset's bytes")
		}
	})
}

// zeros is a document of n bytes, a PDF header then zeros, streamed
// without a Content-Length.
type zeros struct{ n, at int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.at >= z.n {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.n-z.at))
	clear(p[:n])
	if z.at == 0 {
		n = copy(p, "%PDF-")
	}
	z.at += int64(n)
	return n, nil
}

func TestDocumentLimit(t *testing.T) {
	srv, s := start(t, sandbox.Options{})
	c := newRest(t, srv)
	token := tokenFor(t, srv, "w_member_social")
	for _, tt := range []struct {
		name   string
		size   int64
		status int
	}{
		{"100 MB", sandbox.DocumentLimit, 201},
		{"a byte more", sandbox.DocumentLimit + 1, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			urn, upload := c.upload(token, "document", member, nil)
			a := c.do("PUT", upload, token, &zeros{n: tt.size}, nil)
			if a.status != tt.status {
				t.Fatalf("%d %s", a.status, a.body)
			}
			if size, _, ok := s.Media(urn); ok != (tt.status == 201) || (ok && size != tt.size) {
				t.Errorf("Media: %d %v", size, ok)
			}
		})
	}
}

func TestComments(t *testing.T) {
	var log logs
	srv, _ := start(t, sandbox.Options{Logf: log.Logf})
	tok := tokensFor(t, srv)
	c := newRest(t, srv)
	comment := func(actor, object, text string) string {
		return jsonOf(map[string]any{"actor": actor, "object": object, "message": map[string]string{"text": text}})
	}
	const comments = "/rest/socialActions/{post%}/comments"
	c.run([]step{
		{name: "a post", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Comment on me"), status: 201, save: "post"},
		{name: "comment", method: "POST", path: comments, token: tok.member, body: comment(member, "{post}", "Nice #post"), status: 201, save: "comment",
			want: []string{`"actor":"` + member + `"`, `"object":"{post}"`, `"message":{"text":"Nice #post"}`, `"created":{"actor":"` + member + `","time":1795910400000}`}},
		{name: "its URN", method: "GET", path: comments, token: tok.memberReader, status: 200, want: []string{`"id":"{comment}"`, `"commentUrn":"urn:li:comment:({post},{comment})"`}},
		// w_member_social writes comments; reading them takes a read permission.
		{name: "list with only w_member_social", method: "GET", path: comments, token: tok.member, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "list with only w_organization_social", method: "GET", path: comments, token: tok.pageOnly, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "as a page", method: "POST", path: comments, token: tok.page, body: comment(page, "{post}", "From the page"), status: 201, save: "pageComment"},
		{name: "as a page the member does not administer", method: "POST", path: comments, token: tok.page, body: comment(otherPage, "{post}", "x"), status: 403, want: []string{"ACCESS_DENIED", "urn:li:organization:1337"}},
		{name: "as a page the member is an ANALYST of", method: "POST", path: comments, token: tok.page, body: comment(sandbox.Pages[2].URN(), "{post}", "x"), status: 403,
			want: []string{"ACCESS_DENIED", "holds no APPROVED role that may post (ADMINISTRATOR, CONTENT_ADMINISTRATOR) on urn:li:organization:5000002"}},
		{name: "as a page without w_organization_social", method: "POST", path: comments, token: tok.member, body: comment(page, "{post}", "x"), status: 403, want: []string{"w_organization_social"}},
		{name: "as another member", method: "POST", path: comments, token: tok.member, body: comment("urn:li:person:123", "{post}", "x"), status: 403},
		{name: "as a wrong kind of URN", method: "POST", path: comments, token: tok.member, body: comment("urn:li:company:1", "{post}", "x"), status: 422, want: []string{"/actor"}},
		{name: "on an unknown post", method: "POST", path: "/rest/socialActions/" + enc("urn:li:share:1") + "/comments", token: tok.member, body: comment(member, "urn:li:share:1", "x"), status: 404, want: []string{"RESOURCE_NOT_FOUND"}},
		{name: "on a post not named by object", method: "POST", path: comments, token: tok.member, body: comment(member, "urn:li:share:1", "x"), status: 422, want: []string{"/object"}},
		{name: "without text", method: "POST", path: comments, token: tok.member, body: comment(member, "{post}", ""), status: 422, want: []string{"/message/text"}},
		{name: "of 1251 characters", method: "POST", path: comments, token: tok.member, body: comment(member, "{post}", strings.Repeat("a", 1251)), status: 422, want: []string{"/message/text", "1250"}},
		{name: "of 1250 characters", method: "POST", path: comments, token: tok.member, body: comment(member, "{post}", strings.Repeat("a", 1250)), status: 201},
		{name: "an unknown field", method: "POST", path: comments, token: tok.member, body: `{"actor":"` + member + `","object":"{post}","message":{"text":"x"},"mood":"happy"}`, status: 422, want: []string{"/mood"}},
		{name: "with the URN unencoded", method: "POST", path: "/rest/socialActions/{post}/comments", token: tok.member, body: comment(member, "{post}", "x"), status: 400},
		// A comment is plain text: a reserved character of little text is
		// kept, and nothing is logged.
		{name: "not cut at a reserved character", method: "POST", path: comments, token: tok.member, body: comment(member, "{post}", "Nice (really)"), status: 201, save: "cut",
			want: []string{`"message":{"text":"Nice (really)"}`}, check: func(t *testing.T, a answer) {
				if log.String() != "" {
					t.Errorf("logged %q", log.String())
				}
			}},
		{name: "list", method: "GET", path: comments + "?count=2", token: tok.reader, status: 200, check: func(t *testing.T, a answer) {
			v := decode[struct {
				Elements []struct{ ID, Actor string }
				Paging   struct{ Start, Count, Total int }
			}](t, a)
			if len(v.Elements) != 2 || v.Elements[0].ID != c.vars["comment"] || v.Elements[1].Actor != page || v.Paging.Total != 4 || v.Paging.Count != 2 {
				t.Errorf("%s", a.body)
			}
		}},
		{name: "list an unknown post's", method: "GET", path: "/rest/socialActions/" + enc("urn:li:share:1") + "/comments", token: tok.memberReader, status: 404},
		{name: "delete as another actor", method: "DELETE", path: comments + "/{comment}?actor=" + enc(page), token: tok.page, status: 403, want: []string{"ACCESS_DENIED", "the comment's actor is " + member}},
		{name: "delete as an actor the member is not", method: "DELETE", path: comments + "/{comment}?actor=" + enc("urn:li:person:123"), token: tok.member, status: 403},
		{name: "delete without an actor", method: "DELETE", path: comments + "/{comment}", token: tok.member, status: 400, want: []string{"actor"}},
		{name: "delete an unknown comment", method: "DELETE", path: comments + "/1?actor={member%}", token: tok.member, status: 404},
		{name: "delete", method: "DELETE", path: comments + "/{comment}?actor={member%}", token: tok.member, status: 204},
		{name: "delete again", method: "DELETE", path: comments + "/{comment}?actor={member%}", token: tok.member, status: 404},
		{name: "delete the page's", method: "DELETE", path: comments + "/{pageComment}?actor=" + enc(page), token: tok.page, status: 204},
		{name: "fewer", method: "GET", path: comments, token: tok.memberReader, status: 200, want: []string{`"total":2`}},
	})
}

func TestReactions(t *testing.T) {
	srv, _ := start(t, sandbox.Options{})
	tok := tokensFor(t, srv)
	c := newRest(t, srv)
	react := func(root, kind string) string { return jsonOf(map[string]string{"root": root, "reactionType": kind}) }
	const key = "/rest/reactions/(actor:{member%},entity:{post%})"
	c.run([]step{
		{name: "a post", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "React to me"), status: 201, save: "post"},
		{name: "like", method: "POST", path: "/rest/reactions?actor={member%}", token: tok.member, body: react("{post}", "LIKE"), status: 201,
			want: []string{"X-Restli-Id: urn:li:reaction:(urn:li:person:782bbtaQ,{post})", `"reactionType":"LIKE"`, `"root":"{post}"`}},
		{name: "react again", method: "POST", path: "/rest/reactions?actor={member%}", token: tok.member, body: react("{post}", "PRAISE"), status: 201, want: []string{`"reactionType":"PRAISE"`}},
		{name: "as a page", method: "POST", path: "/rest/reactions?actor=" + enc(page), token: tok.page, body: react("{post}", "APPRECIATION"), status: 201},
		{name: "a type in the wrong case", method: "POST", path: "/rest/reactions?actor={member%}", token: tok.member, body: react("{post}", "like"), status: 422, want: []string{"/reactionType"}},
		{name: "an unknown type", method: "POST", path: "/rest/reactions?actor={member%}", token: tok.member, body: react("{post}", "CELEBRATE"), status: 422},
		{name: "an unknown post", method: "POST", path: "/rest/reactions?actor={member%}", token: tok.member, body: react("urn:li:share:1", "LIKE"), status: 404, want: []string{"RESOURCE_NOT_FOUND"}},
		{name: "a root that is not a post", method: "POST", path: "/rest/reactions?actor={member%}", token: tok.member, body: react("urn:li:image:X", "LIKE"), status: 422, want: []string{"/root"}},
		{name: "without an actor", method: "POST", path: "/rest/reactions", token: tok.member, body: react("{post}", "LIKE"), status: 400, want: []string{"actor"}},
		{name: "as a page the member does not administer", method: "POST", path: "/rest/reactions?actor=" + enc(otherPage), token: tok.page, body: react("{post}", "LIKE"), status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "as another member", method: "POST", path: "/rest/reactions?actor=" + enc("urn:li:person:123"), token: tok.member, body: react("{post}", "LIKE"), status: 403},

		{name: "delete as someone else", method: "DELETE", path: "/rest/reactions/(actor:" + enc("urn:li:person:123") + ",entity:{post%})", token: tok.member, status: 403},
		{name: "delete with the whole key encoded", method: "DELETE", path: "/rest/reactions/" + enc("(actor:"+member+",entity:") + "{post%}" + enc(")"), token: tok.member, status: 400},
		{name: "delete with the URNs unencoded", method: "DELETE", path: "/rest/reactions/(actor:{member},entity:{post})", token: tok.member, status: 400},
		{name: "delete", method: "DELETE", path: key, token: tok.member, status: 204},
		{name: "delete again", method: "DELETE", path: key, token: tok.member, status: 404, want: []string{"RESOURCE_NOT_FOUND"}},
		{name: "delete the page's", method: "DELETE", path: "/rest/reactions/(actor:" + enc(page) + ",entity:{post%})", token: tok.page, status: 204},
	})
}

func TestPages(t *testing.T) {
	srv, _ := start(t, sandbox.Options{})
	tok := tokensFor(t, srv)
	c := newRest(t, srv)
	acls := `{"elements":[{"organization":"urn:li:organization:2414183","role":"ADMINISTRATOR","roleAssignee":"urn:li:person:782bbtaQ","state":"APPROVED"},` +
		`{"organization":"urn:li:organization:5000001","role":"CONTENT_ADMINISTRATOR","roleAssignee":"urn:li:person:782bbtaQ","state":"APPROVED"},` +
		`{"organization":"urn:li:organization:5000002","role":"ANALYST","roleAssignee":"urn:li:person:782bbtaQ","state":"APPROVED"}],` +
		`"paging":{"count":10,"links":[],"start":0,"total":3}}`
	c.run([]step{
		{name: "the member's pages", method: "GET", path: "/rest/organizationAcls?q=roleAssignee&state=APPROVED", token: tok.page, status: 200, want: []string{acls}},
		{name: "the member's ADMINISTRATOR pages", method: "GET", path: "/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED", token: tok.page, status: 200,
			want: []string{`{"elements":[{"organization":"urn:li:organization:2414183","role":"ADMINISTRATOR","roleAssignee":"urn:li:person:782bbtaQ","state":"APPROVED"}],` +
				`"paging":{"count":10,"links":[],"start":0,"total":1}}`}},
		{name: "the member's ANALYST pages", method: "GET", path: "/rest/organizationAcls?q=roleAssignee&role=ANALYST", token: tok.page, status: 200,
			want: []string{`"elements":[{"organization":"urn:li:organization:5000002","role":"ANALYST"`, `"total":1`}},
		// Listing a member's page roles is an admin permission's: the social
		// ones read and post, they do not list.
		{name: "with only r_organization_social", method: "GET", path: "/rest/organizationAcls?q=roleAssignee", token: tok.reader, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "with only w_organization_social", method: "GET", path: "/rest/organizationAcls?q=roleAssignee", token: tok.pageOnly, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "with rw_organization_admin", method: "GET", path: "/rest/organizationAcls?q=roleAssignee", token: tokenFor(t, srv, "rw_organization_admin"), status: 200, want: []string{acls}},
		{name: "with r_organization_admin", method: "GET", path: "/rest/organizationAcls?q=roleAssignee", token: tokenFor(t, srv, "r_organization_admin"), status: 200, want: []string{acls}},
		{name: "with only w_member_social", method: "GET", path: "/rest/organizationAcls?q=roleAssignee", token: tok.member, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "a role the member does not have", method: "GET", path: "/rest/organizationAcls?q=roleAssignee&role=CURATOR", token: tok.page, status: 200, want: []string{`"elements":[]`, `"total":0`}},
		{name: "a role LinkedIn does not know", method: "GET", path: "/rest/organizationAcls?q=roleAssignee&role=BOSS", token: tok.page, status: 400},
		{name: "a state LinkedIn does not know", method: "GET", path: "/rest/organizationAcls?q=roleAssignee&state=OK", token: tok.page, status: 400},
		{name: "without q", method: "GET", path: "/rest/organizationAcls", token: tok.page, status: 400},
		{name: "one page per page", method: "GET", path: "/rest/organizationAcls?q=roleAssignee&count=1", token: tok.page, status: 200, want: []string{`"total":3`, `"rel":"next"`}},
		{name: "a page", method: "GET", path: "/rest/organizations/2414183", token: tok.page, status: 200, want: []string{`"id":2414183`, `"localizedName":"Sandbox Devices"`, `"vanityName":"sandbox-devices"`}},
		{name: "a page the member only follows", method: "GET", path: "/rest/organizations/1337", token: tok.reader, status: 200, want: []string{`"localizedName":"Not Yours Inc"`}},
		{name: "an unknown page", method: "GET", path: "/rest/organizations/999", token: tok.page, status: 404, want: []string{"RESOURCE_NOT_FOUND"}},
		{name: "a page by URN", method: "GET", path: "/rest/organizations/" + enc(page), token: tok.page, status: 400},
		{name: "a page with only w_organization_social", method: "GET", path: "/rest/organizations/2414183", token: tok.pageOnly, status: 200, want: []string{`"id":2414183`}},
		{name: "a page with r_organization_admin", method: "GET", path: "/rest/organizations/2414183", token: tokenFor(t, srv, "r_organization_admin"), status: 200, want: []string{`"id":2414183`}},
		{name: "a page without the scope", method: "GET", path: "/rest/organizations/2414183", token: tok.member, status: 403},

		{name: "a batch of pages", method: "GET", path: "/rest/organizations?ids=List(2414183,999)", token: tok.page, status: 200, check: func(t *testing.T, a answer) {
			v := decode[struct {
				Results map[string]struct {
					ID            int64 `json:"id"`
					LocalizedName string
				}
				Statuses map[string]int
				Errors   map[string]struct{ Status int }
			}](t, a)
			if len(v.Results) != 1 || v.Results["2414183"].ID != 2414183 || v.Results["2414183"].LocalizedName != "Sandbox Devices" ||
				len(v.Errors) != 1 || v.Errors["999"].Status != 404 || v.Statuses["2414183"] != 200 || v.Statuses["999"] != 404 {
				t.Errorf("%s", a.body)
			}
		}},
		{name: "a batch with every page", method: "GET", path: "/rest/organizations?ids=List(2414183,5000001,5000002,1337)", token: tok.reader, status: 200,
			want: []string{`"localizedName":"Sandbox Labs"`, `"localizedName":"Sandbox Insights"`, `"localizedName":"Not Yours Inc"`, `"errors":{}`}},
		{name: "a batch with only w_organization_social", method: "GET", path: "/rest/organizations?ids=List(2414183)", token: tok.pageOnly, status: 200, want: []string{`"2414183":{`}},
		{name: "a batch without the scope", method: "GET", path: "/rest/organizations?ids=List(2414183)", token: tok.member, status: 403, want: []string{"ACCESS_DENIED"}},
		{name: "a batch of URNs", method: "GET", path: "/rest/organizations?ids=List(" + enc(page) + ")", token: tok.page, status: 400},
		{name: "a batch not in List syntax", method: "GET", path: "/rest/organizations?ids=2414183,999", token: tok.page, status: 400},
	})
}

// TestPostsTakeEveryUpload checks that a post's media may come from the
// Assets API (the same id as urn:li:image or urn:li:video), and that a
// reshare of a reshare names the original as its root.
func TestPostsTakeEveryUpload(t *testing.T) {
	srv, _ := start(t, sandbox.Options{})
	c := newRest(t, srv)
	token := tokenFor(t, srv, "w_member_social")
	for _, kind := range []string{"image", "video"} {
		a := c.do("POST", "/v2/assets?action=registerUpload", token, strings.NewReader(jsonOf(map[string]any{"registerUploadRequest": map[string]any{
			"recipes": []string{"urn:li:digitalmediaRecipe:feedshare-" + kind}, "owner": member,
			"serviceRelationships": []any{map[string]string{"relationshipType": "OWNER", "identifier": "urn:li:userGeneratedContent"}}}})), nil)
		var v struct {
			Value struct {
				UploadMechanism map[string]struct{ UploadURL string } `json:"uploadMechanism"`
				Asset           string
			}
		}
		json.Unmarshal(a.body, &v)
		if a := c.do("PUT", v.Value.UploadMechanism["com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest"].UploadURL, token, strings.NewReader("bytes"), nil); a.status != 201 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		c.vars[kind] = strings.Replace(v.Value.Asset, "digitalmediaAsset", kind, 1)
	}
	c.run([]step{
		{name: "an asset as an image", method: "POST", path: "/rest/posts", token: token, body: post(member, "Asset image", "content", map[string]any{"media": map[string]string{"id": "{image}"}}), status: 201, save: "original"},
		{name: "an asset as a video", method: "POST", path: "/rest/posts", token: token, body: post(member, "Asset video", "content", map[string]any{"media": map[string]string{"id": "{video}"}}), status: 201},
		{name: "an image asset as a video", method: "POST", path: "/rest/posts", token: token, body: post(member, "x", "content", map[string]any{"media": map[string]string{"id": strings.Replace(c.vars["image"], "image", "video", 1)}}), status: 422},
		{name: "reshare", method: "POST", path: "/rest/posts", token: token, body: post(member, "", "reshareContext", map[string]string{"parent": "{original}"}), status: 201, save: "reshare"},
		{name: "reshare the reshare", method: "POST", path: "/rest/posts", token: token, body: post(member, "", "reshareContext", map[string]string{"parent": "{reshare}"}), status: 201, save: "again"},
		{name: "its root", method: "GET", path: "/rest/posts/{again%}", token: tokenFor(t, srv, "r_member_social"), status: 200, want: []string{`"reshareContext":{"parent":"{reshare}","root":"{original}"}`}},
	})
}
