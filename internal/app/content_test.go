package app_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"pluginserver/internal/app"
	pluginpkg "pluginserver/plugin"
	"pluginserver/plugin/linkedin"
	"pluginserver/plugin/linkedin/sandbox"
)

// pageDatasource is authorized, on the sandbox's Community Management
// app (the only kind that acts as pages), for the member and the pages
// they may post for.
func (h *harness) pageDatasource(scopes string) string {
	h.t.Helper()
	_, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Pages","config":{"scopes":`+scopes+
		`,"clientId":"`+sandbox.CommunityClientID+`","clientSecret":"`+sandbox.CommunityClientSecret+`"}}`)
	id := ds["id"].(string)
	h.authorize(id)
	return id
}

const pageScopes = `["r_basicprofile","w_member_social","w_organization_social","r_organization_social","rw_organization_admin","r_member_social"]`

// execute runs a command and returns the status and envelope.
func (h *harness) execute(id, command, params string) (int, map[string]any) {
	h.t.Helper()
	return h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"`+command+`","params":`+params+`}`)
}

// mustExecute runs a command that must succeed and returns its output.
func (h *harness) mustExecute(id, command, params string) map[string]any {
	h.t.Helper()
	status, env := h.execute(id, command, params)
	if status != 200 || env["error"] != nil {
		h.t.Fatalf("%s %s: %d %v", command, params, status, env)
	}
	out, _ := env["output"].(map[string]any)
	return out
}

func dataURL(mediaType string, b []byte) string {
	return "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(b)
}

var (
	png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	pdf = []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
)

// TestContentAPIEndToEnd: every kind of post, from media uploaded in one
// step, as the member and as a page, then comments, reactions and
// deletion, through the real server and the emulator.
func TestContentAPIEndToEnd(t *testing.T) {
	h := newHarness(t)
	id := h.pageDatasource(pageScopes)
	me := "person:" + sandbox.Member["sub"].(string)
	page := "organization:" + sandbox.Pages[0].ID

	// Media, in one step each: from data, and streamed as the body.
	img1 := h.mustExecute(id, "uploadImage", `{"owner":"`+me+`","data":"`+dataURL("image/png", png)+`","waitUntilAvailable":true}`)
	if img1["status"] != "AVAILABLE" || !strings.HasPrefix(img1["image"].(string), "urn:li:image:") {
		t.Fatalf("uploadImage: %v", img1)
	}
	img2 := h.mustExecute(id, "uploadImage", `{"owner":"`+me+`","data":"`+dataURL("image/png", png)+`"}`)
	doc := h.streamed(id, "uploadDocument", "owner="+page+"&waitUntilAvailable=true", "application/pdf", pdf)
	if doc["status"] != "AVAILABLE" || !strings.HasPrefix(doc["document"].(string), "urn:li:document:") {
		t.Fatalf("uploadDocument: %v", doc)
	}

	video := h.mustExecute(id, "uploadVideo", `{"author":"`+me+`","data":"`+dataURL("video/mp4", []byte("\x00\x00\x00\x18ftypmp42"))+`","waitUntilAvailable":true}`)
	if video["status"] != "AVAILABLE" || !strings.HasPrefix(video["video"].(string), "urn:li:video:") {
		t.Fatalf("uploadVideo: %v", video)
	}

	posts := map[string]string{
		"video":       `{"author":"` + me + `","commentary":"Watch","media":{"id":"` + video["video"].(string) + `","title":"Demo"}}`,
		"text":        `{"author":"` + me + `","commentary":"Hello (world) #launch https://example.com/a_b"}`,
		"document":    `{"author":"` + page + `","commentary":"Our report","media":{"id":"` + doc["document"].(string) + `","title":"Q3"}}`,
		"multi-image": `{"author":"` + me + `","commentary":"Two","multiImage":{"images":[{"id":"` + img1["image"].(string) + `","altText":"a"},{"id":"` + img2["image"].(string) + `"}]}}`,
		"poll":        `{"author":"` + me + `","commentary":"Vote","poll":{"question":"Tabs or spaces?","options":["Tabs","Spaces"]}}`,
		"article":     `{"author":"` + page + `","commentary":"Read","article":{"source":"https://example.com/launch","title":"We launched"}}`,
		"image":       `{"author":"` + me + `","commentary":"One","media":{"id":"` + img1["image"].(string) + `","altText":"a"}}`,
	}
	ids := map[string]string{}
	for name, params := range posts {
		out := h.mustExecute(id, "sharePost", params)
		postID, _ := out["id"].(string)
		if !strings.HasPrefix(postID, "urn:li:share:") {
			t.Fatalf("%s post: output %v", name, out)
		}
		ids[name] = postID
	}

	// What was typed is what LinkedIn keeps, reserved characters and all.
	got := h.mustExecute(id, "getPost", `{"post":"`+ids["text"]+`"}`)
	if want := `Hello \(world\) #launch https://example.com/a_b`; got["commentary"] != want {
		t.Errorf("stored commentary %q, want %q", got["commentary"], want)
	}
	list := h.mustExecute(id, "listPosts", `{"author":"`+page+`","count":10}`)
	if elements, _ := list["elements"].([]any); len(elements) != 2 {
		t.Errorf("listPosts of the page: %v", list)
	}
	h.mustExecute(id, "updatePost", `{"post":"`+ids["poll"]+`","commentary":"Vote (now)"}`)
	if got := h.mustExecute(id, "getPost", `{"post":"`+ids["poll"]+`"}`); got["commentary"] != `Vote \(now\)` {
		t.Errorf("updated commentary %v", got["commentary"])
	}

	comment := h.mustExecute(id, "addComment", `{"post":"`+ids["text"]+`","actor":"`+page+`","text":"Congrats (all)!"}`)
	commentID, _ := comment["id"].(string)
	if commentID == "" {
		t.Fatalf("addComment: %v", comment)
	}
	comments := h.mustExecute(id, "listComments", `{"post":"`+ids["text"]+`"}`)
	if elements, _ := comments["elements"].([]any); len(elements) != 1 {
		t.Errorf("listComments: %v", comments)
	}
	h.mustExecute(id, "addReaction", `{"post":"`+ids["text"]+`","actor":"`+me+`","reactionType":"PRAISE"}`)
	h.mustExecute(id, "removeReaction", `{"post":"`+ids["text"]+`","actor":"`+me+`"}`)
	h.mustExecute(id, "deleteComment", `{"post":"`+ids["text"]+`","comment":"`+commentID+`","actor":"`+page+`"}`)
	if out := h.mustExecute(id, "deletePost", `{"post":"`+ids["text"]+`"}`); out["id"] != ids["text"] || out["deleted"] != true {
		t.Errorf("deletePost: %v", out)
	}
	if status, env := h.execute(id, "getPost", `{"post":"`+ids["text"]+`"}`); status != 422 || env["status"] != float64(404) {
		t.Errorf("a deleted post: %d %v", status, env)
	}
}

// streamed runs an upload command with the file as the request's body and
// its params in the query, and returns its output.
func (h *harness) streamed(id, command, query, contentType string, file []byte) map[string]any {
	h.t.Helper()
	status, raw := h.upload(id, "command="+command+"&"+query, contentType, bytes.NewReader(file), int64(len(file)))
	var env map[string]any
	if json.Unmarshal([]byte(raw), &env) != nil || status != 200 || env["error"] != nil {
		h.t.Fatalf("%s streamed: %d %s", command, status, raw)
	}
	return env["output"].(map[string]any)
}

// TestPagesAsAuthors: the author dropdown lists the member and their pages;
// a page they do not administer, or one without the scope to act as it,
// is refused before anything is sent.
func TestPagesAsAuthors(t *testing.T) {
	h := newHarness(t)
	id := h.pageDatasource(pageScopes)
	status, body := h.do("GET", "/v1/datasources/"+id+"/options/sharePost/author", builder, "")
	options, _ := body["options"].([]any)
	// Every page on which the member holds a role that may post, labelled
	// with it; not the page they only analyse.
	want := map[string]string{"urn:li:person:" + sandbox.Member["sub"].(string): sandbox.Member["name"].(string),
		"urn:li:organization:2414183": "Sandbox Devices (administrator)", "urn:li:organization:5000001": "Sandbox Labs (content administrator)"}
	if status != 200 || len(options) != len(want) {
		t.Fatalf("options: %d %v", status, body)
	}
	for _, o := range options {
		o := o.(map[string]any)
		if want[o["value"].(string)] != o["label"] {
			t.Errorf("option %v, want one of %v", o, want)
		}
	}
	if status, _ := h.do("GET", "/v1/datasources/"+id+"/options/sharePost/commentary", builder, ""); status != 404 {
		t.Errorf("a field without choices: %d", status)
	}

	h.app.Sandbox.Reset()
	status, env := h.execute(id, "sharePost", `{"author":"organization:`+sandbox.OtherPage.ID+`","commentary":"hi"}`)
	if status != 400 || fields(env)[0] != "author" || h.sent("POST", "/rest/posts") != 0 {
		t.Fatalf("a page not administered: %d %v", status, env)
	}

	_, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Member","config":{"scopes":["openid","profile","w_member_social"]}}`)
	memberOnly := ds["id"].(string)
	h.authorize(memberOnly)
	// A self-serve app cannot list pages: the member is still a choice,
	// the warning says why the pages are missing, and LinkedIn is not
	// asked to refuse.
	h.app.Sandbox.Reset()
	status, body = h.do("GET", "/v1/datasources/"+memberOnly+"/options/addComment/actor", builder, "")
	warning := fmt.Sprint(body["warning"])
	if options, _ := body["options"].([]any); status != 200 || len(options) != 1 || !strings.Contains(warning, "pages are not listed") ||
		!strings.Contains(warning, "rw_organization_admin") || h.sent("GET", "/rest/organizationAcls") != 0 {
		t.Fatalf("options without a page scope: %d %v", status, body)
	}
	// The analytics page picker has no member to offer: no choices, the
	// same warning, and still nothing asked of LinkedIn.
	status, body = h.do("GET", "/v1/datasources/"+memberOnly+"/options/getFollowerStatistics/organization", builder, "")
	if options, ok := body["options"].([]any); status != 200 || !ok || len(options) != 0 || !strings.Contains(fmt.Sprint(body["warning"]), "rw_organization_admin") ||
		h.sent("GET", "/rest/organizationAcls") != 0 {
		t.Fatalf("analytics pages without a page scope: %d %v", status, body)
	}
	h.app.Sandbox.Reset()
	status, env = h.execute(memberOnly, "sharePost", `{"author":"organization:`+sandbox.Pages[0].ID+`","commentary":"hi"}`)
	msg, _ := env["error"].(map[string]any)["message"].(string)
	if status != 409 || !strings.Contains(msg, "w_organization_social") || len(h.app.Sandbox.Requests()) != 0 {
		t.Fatalf("a page without its scope: %d %v", status, env)
	}
}

// TestVersionStepsBack: when LinkedIn retires the version calls carry, the
// server steps back a month at a time, answers as if nothing happened,
// remembers the working version for every datasource and says so once; a
// pinned version is never changed.
func TestVersionStepsBack(t *testing.T) {
	current := linkedin.VersionFor(time.Now())
	older := olderMonths(current, 2)
	h := startHarness(t, nil, app.Options{Emulate: func(o *sandbox.Options) { o.RefuseVersionsAfter = older }}, "--sandbox")
	id := h.pageDatasource(pageScopes)
	post := h.mustExecute(id, "sharePost", `{"author":"person:`+sandbox.Member["sub"].(string)+`","commentary":"hi"}`)
	h.app.Sandbox.Reset()
	h.mustExecute(id, "getPost", `{"post":"`+post["id"].(string)+`"}`)
	if reqs := h.app.Sandbox.Requests(); len(reqs) != 1 || reqs[0].Header.Get("LinkedIn-Version") != older {
		t.Fatalf("after learning, calls carry %v", reqs)
	}
	if _, p := h.do("GET", "/v1/plugins/linkedin", builder, ""); p["version"] != older {
		t.Errorf("plugin version %v, want %s", p["version"], older)
	}
	if n := strings.Count(h.logs.String(), "they now carry an older one"); n != 1 {
		t.Errorf("logged the step back %d times, want once", n)
	}

	_, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Pinned","config":{"linkedinVersion":"`+current+`","scopes":`+pageScopes+
		`,"clientId":"`+sandbox.CommunityClientID+`","clientSecret":"`+sandbox.CommunityClientSecret+`"}}`)
	pinned := ds["id"].(string)
	h.authorize(pinned)
	status, env := h.execute(pinned, "getPost", `{"post":"`+post["id"].(string)+`"}`)
	msg, _ := env["error"].(map[string]any)["message"].(string)
	if status != 422 || env["status"] != float64(426) || !strings.Contains(msg, "linkedinVersion") {
		t.Fatalf("a pinned retired version: %d %v", status, env)
	}
}

func olderMonths(v string, n int) string {
	var y, m int
	fmt.Sscanf(v, "%4d%2d", &y, &m)
	m -= n
	for m < 1 {
		m, y = m+12, y-1
	}
	return fmt.Sprintf("%04d%02d", y, m)
}

// TestOversizedFilesSendNothing: a file announced larger than LinkedIn
// takes, or than the server takes, is refused before anything is sent,
// without its bytes being waited for.
func TestOversizedFilesSendNothing(t *testing.T) {
	h := newHarness(t)
	id := h.pageDatasource(pageScopes)
	small := startHarness(t, map[string]string{"PLUGIN_SERVER_MAX_STREAM": "50000000"}, app.Options{}, "--sandbox")
	smallID := small.pageDatasource(pageScopes)
	for _, tt := range []struct {
		name   string
		h      *harness
		id     string
		status int
		code   string
	}{
		{"over LinkedIn's 100 MB", h, id, 400, `"field":"file"`},
		{"over PLUGIN_SERVER_MAX_STREAM", small, smallID, 413, "PLUGIN_SERVER_MAX_STREAM"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.h.app.Sandbox.Reset()
			conn, err := net.Dial("tcp", tt.h.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /v1/datasources/%s/execute?command=uploadDocument&owner=person:782bbtaQ HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/pdf\r\nContent-Length: 100000001\r\n\r\n%%PDF-1.4\n",
				tt.id, tt.h.srv.Listener.Addr(), builder)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.code) {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if reqs := tt.h.app.Sandbox.Requests(); len(reqs) != 0 {
				t.Fatalf("LinkedIn received %s %s", reqs[0].Method, reqs[0].Path)
			}
		})
	}
}

// A datasource asking for scopes no single LinkedIn app grants says so
// before Authorize is clicked; one app's set does not.
func TestScopesOfTwoAppKindsWarn(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		scopes, warning string
	}{
		{`["openid","profile","w_member_social"]`, ""},
		{pageScopes, ""},
		{`["openid","profile","w_member_social","w_organization_social"]`, "grants openid profile but not w_organization_social; a Community Management app (Community Management API) grants w_organization_social but not openid profile"},
		{`["openid","r_basicprofile","w_organization_social","rw_organization_admin"]`, "grants openid but not r_basicprofile w_organization_social rw_organization_admin; a Community Management app (Community Management API) grants r_basicprofile w_organization_social rw_organization_admin but not openid. Keep the scopes"},
	} {
		status, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Mixed","config":{"scopes":`+tt.scopes+`}}`)
		got, _ := ds["warning"].(string)
		if status != 201 || tt.warning == "" && got != "" || !strings.Contains(got, tt.warning) {
			t.Errorf("%s: %d warning %q, want %q", tt.scopes, status, got, tt.warning)
		}
		if _, again := h.do("GET", "/v1/datasources/"+ds["id"].(string), admin, ""); again["warning"] != ds["warning"] {
			t.Errorf("%s: the datasource's own page warns %v", tt.scopes, again["warning"])
		}
	}
}

// TestEveryCallIsInTheFacts runs every command's examples through the
// server to the emulator, every call of multi-call commands included, on a
// datasource holding every scope: each request LinkedIn receives is an
// endpoint of the table of facts that the command lists.
func TestEveryCallIsInTheFacts(t *testing.T) {
	h := newHarness(t)
	id := h.pageDatasource(`["r_basicprofile","w_member_social","w_organization_social","r_organization_social","rw_organization_admin","r_organization_admin","r_member_social","r_member_postAnalytics"]`)
	plugin := linkedin.Plugin()
	for _, cmd := range plugin.Commands {
		if len(cmd.Endpoints) == 0 {
			continue // a custom action reaches any route
		}
		for _, ex := range cmd.Form.Examples {
			h.app.Sandbox.Reset()
			h.execute(id, cmd.ID, string(ex.Params))
			reqs := h.app.Sandbox.Requests()
			if len(reqs) == 0 && !cmd.Upload {
				t.Errorf("%s %q sent nothing", cmd.ID, ex.Title)
			}
			for _, r := range reqs {
				// Named as the plugin names a call's endpoint; an upload
				// URL is one by where it points.
				u := &url.URL{Path: r.Path, RawQuery: r.Query}
				key := plugin.Endpoint(&pluginpkg.Call{Method: r.Method, URL: u, Upload: strings.Contains(r.Path, "/mediaUpload/")})
				if key == "" {
					t.Errorf("%s %q sent %s %s?%s, which the table of facts lacks", cmd.ID, ex.Title, r.Method, r.Path, r.Query)
					continue
				}
				// A page as author is checked against the author's
				// options, which list the pages.
				listed := slices.Clone(cmd.Endpoints)
				for _, o := range cmd.Form.Options {
					listed = append(listed, o.Endpoints...)
				}
				if !slices.Contains(listed, key) {
					t.Errorf("%s %q sent %s, which neither it nor its fields' options list: %v", cmd.ID, ex.Title, key, listed)
				}
			}
		}
	}
}
