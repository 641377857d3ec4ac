package linkedin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin/sandbox"
)

// buildComment builds addComment's request from params, or its refusal.
func buildComment(params string) (*plugin.Call, error) {
	return addComment.Build(context.Background(), json.RawMessage(params), production)
}

func memberValue(urn string) string {
	return `{"com.linkedin.common.MemberAttributedEntity":{"member":"` + urn + `"}}`
}

// TestCommentText: a comment goes as typed (plain text, nothing escaped),
// each @Name of mentions becomes an attribute at its offset in UTF-16 units,
// a reply names its parent; bad input names the field and builds nothing.
func TestCommentText(t *testing.T) {
	const on = `"post":"share:1","actor":"person:2",`
	tests := []struct {
		name, params     string
		path, text, atts string // what is sent
		parent           string
		field            string // or the field refused
	}{
		{name: "reserved characters go as typed", params: `{` + on + `"text":"Nice (really) #launch *bold* \\ done"}`,
			path: "/rest/socialActions/urn%3Ali%3Ashare%3A1/comments", text: `Nice (really) #launch *bold* \ done`},
		{name: "a member mention", params: `{` + on + `"text":"Thanks @Jane Doe!","mentions":[{"name":"Jane Doe","urn":"person:7"}]}`,
			path: "/rest/socialActions/urn%3Ali%3Ashare%3A1/comments", text: "Thanks Jane Doe!",
			atts: `[{"start":7,"length":8,"value":` + memberValue("urn:li:person:7") + `}]`},
		{name: "a page mention", params: `{` + on + `"text":"@Sandbox Devices rocks","mentions":[{"name":"Sandbox Devices","urn":"urn:li:organization:2414183"}]}`,
			path: "/rest/socialActions/urn%3Ali%3Ashare%3A1/comments", text: "Sandbox Devices rocks",
			atts: `[{"start":0,"length":15,"value":{"com.linkedin.common.CompanyAttributedEntity":{"company":"urn:li:organization:2414183"}}}]`},
		{name: "é before the mention counts one", params: `{` + on + `"text":"Café @Ana","mentions":[{"name":"Ana","urn":"person:7"}]}`,
			path: "/rest/socialActions/urn%3Ali%3Ashare%3A1/comments", text: "Café Ana",
			atts: `[{"start":5,"length":3,"value":` + memberValue("urn:li:person:7") + `}]`},
		{name: "an emoji before the mention counts two", params: `{` + on + `"text":"🎉 @Ana and @Bo 🎉","mentions":[{"name":"Ana","urn":"person:7"},{"name":"Bo","urn":"person:8"}]}`,
			path: "/rest/socialActions/urn%3Ali%3Ashare%3A1/comments", text: "🎉 Ana and Bo 🎉",
			atts: `[{"start":3,"length":3,"value":` + memberValue("urn:li:person:7") + `},{"start":11,"length":2,"value":` + memberValue("urn:li:person:8") + `}]`},
		{name: "the same name twice, in order", params: `{` + on + `"text":"@Ana, @Ana","mentions":[{"name":"Ana","urn":"person:7"},{"name":"Ana","urn":"person:8"}]}`,
			path: "/rest/socialActions/urn%3Ali%3Ashare%3A1/comments", text: "Ana, Ana",
			atts: `[{"start":0,"length":3,"value":` + memberValue("urn:li:person:7") + `},{"start":5,"length":3,"value":` + memberValue("urn:li:person:8") + `}]`},
		{name: "a reply", params: `{` + on + `"text":"Agreed (fully)","parentComment":"urn:li:comment:(urn:li:share:1,77)"}`,
			path: "/rest/socialActions/urn%3Ali%3Acomment%3A%28urn%3Ali%3Ashare%3A1%2C77%29/comments", text: "Agreed (fully)", parent: "urn:li:comment:(urn:li:share:1,77)"},
		{name: "a mention not in the text", params: `{` + on + `"text":"hi","mentions":[{"name":"Jane","urn":"person:7"}]}`, field: "mentions.0.name"},
		{name: "a mention only before the one before it", params: `{` + on + `"text":"@Bo @Ana","mentions":[{"name":"Ana","urn":"person:7"},{"name":"Bo","urn":"person:8"}]}`, field: "mentions.1.name"},
		{name: "a mention of a post", params: `{` + on + `"text":"@Ana","mentions":[{"name":"Ana","urn":"share:7"}]}`, field: "mentions.0.urn"},
		{name: "a parent that is no comment URN", params: `{` + on + `"text":"x","parentComment":"77"}`, field: "parentComment"},
		{name: "a parent on another post", params: `{` + on + `"text":"x","parentComment":"urn:li:comment:(urn:li:share:9,77)"}`, field: "parentComment"},
		{name: "1251 characters", params: `{` + on + `"text":"` + strings.Repeat("a", 1251) + `"}`, field: "text"},
		{name: "626 emoji are 1252 units", params: `{` + on + `"text":"` + strings.Repeat("🎉", 626) + `"}`, field: "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := buildComment(tt.params)
			if tt.field != "" {
				e := plugin.AsError(err)
				if c != nil || e.Code != plugin.InvalidInput || !slices.ContainsFunc(e.Fields, func(f plugin.FieldProblem) bool { return f.Field == tt.field }) {
					t.Fatalf("%v, %v; want invalid_input naming %s", c, err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Object, ParentComment string
				Message               struct {
					Text       string
					Attributes json.RawMessage
				}
			}
			if err := json.Unmarshal(c.Body, &body); err != nil {
				t.Fatal(err)
			}
			if c.URL.EscapedPath() != tt.path || body.Object != "urn:li:share:1" || body.ParentComment != tt.parent {
				t.Errorf("%s %s", c.URL.EscapedPath(), c.Body)
			}
			if body.Message.Text != tt.text || string(body.Message.Attributes) != tt.atts {
				t.Errorf("message %s, want text %q attributes %s", c.Body, tt.text, tt.atts)
			}
		})
	}
}

// live runs commands against a sandbox through their Build: token is the
// member's with w_member_social (self-serve), which writes and reads
// nothing; reader is a Community Management app's with r_member_social,
// which LinkedIn asks for to read the member's posts and comments.
type live struct {
	t             *testing.T
	base          string
	token, reader string
}

func newLive(t *testing.T) *live {
	srv := httptest.NewServer(sandbox.New(sandbox.Options{BaseURL: "http://127.0.0.1"}))
	t.Cleanup(srv.Close)
	return &live{t, srv.URL, sandboxToken(t, srv.URL), appToken(t, srv.URL, "r_member_social")}
}

// appToken authorizes the sandbox's member for scopes (space-separated) on
// the sandbox's app that may ask for them.
func appToken(t *testing.T, base, scopes string) string {
	t.Helper()
	token, err := sandbox.Token(http.DefaultTransport, base, strings.Fields(scopes)...)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// send sends a call with the writer's token and returns LinkedIn's status,
// x-restli-id and body.
func (l *live) send(t *testing.T, method, path string, body []byte, header http.Header) (int, string, []byte) {
	t.Helper()
	return l.sendAs(t, l.token, method, path, body, header)
}

// sendAs sends a call with token.
func (l *live) sendAs(t *testing.T, token, method, path string, body []byte, header http.Header) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, l.base+path, strings.NewReader(string(body)))
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-RestLi-Id"), raw
}

// run builds a command's request and sends it with the writer's token;
// LinkedIn must answer 2xx.
func (l *live) run(t *testing.T, command, params string, out any) string {
	t.Helper()
	return l.runAs(t, l.token, command, params, out)
}

// read is run with the reader's token.
func (l *live) read(t *testing.T, command, params string, out any) string {
	t.Helper()
	return l.runAs(t, l.reader, command, params, out)
}

// build builds a command's request.
func (l *live) build(t *testing.T, command, params string) *plugin.Call {
	t.Helper()
	i := slices.IndexFunc(Plugin().Commands, func(c *plugin.Command) bool { return c.ID == command })
	c, err := Plugin().Commands[i].Build(context.Background(), json.RawMessage(params), settingsFor(l.base))
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	return c
}

// refused sends a command's request with token and wants LinkedIn's 403
// ACCESS_DENIED.
func (l *live) refused(t *testing.T, token, command, params string) {
	t.Helper()
	c := l.build(t, command, params)
	if status, _, body := l.sendAs(t, token, c.Method, c.URL.RequestURI(), c.Body, c.Header); status != 403 || !strings.Contains(string(body), `"code":"ACCESS_DENIED"`) {
		t.Errorf("%s: %d %s, want 403 ACCESS_DENIED", command, status, body)
	}
}

func (l *live) runAs(t *testing.T, token, command, params string, out any) string {
	t.Helper()
	c := l.build(t, command, params)
	status, id, body := l.sendAs(t, token, c.Method, c.URL.RequestURI(), c.Body, c.Header)
	if status/100 != 2 {
		t.Fatalf("%s: %d %s", command, status, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s: %v %s", command, err, body)
		}
	}
	return id
}

type comments struct {
	Elements []struct {
		ID, ParentComment, CommentURN string
		Message                       struct {
			Text       string
			Attributes json.RawMessage
		}
	}
}

// TestCommentsRoundTrip: what addComment sends, listComments reads back
// exactly: the text as typed, the mentions' attributes, and replies.
func TestCommentsRoundTrip(t *testing.T) {
	l := newLive(t)
	me := "person:" + sandbox.Member["sub"].(string)
	post := l.run(t, "sharePost", `{"author":"`+me+`","commentary":"Comment on me"}`, nil)
	tests := []struct{ name, params, text, atts string }{
		{"reserved characters", `"text":"Nice (really) #launch *bold* \\ done"`, `Nice (really) #launch *bold* \ done`, ""},
		{"a mention after é and an emoji", `"text":"Café 🎉 @Ana!","mentions":[{"name":"Ana","urn":"person:7"}]`, "Café 🎉 Ana!",
			`[{"start":8,"length":3,"value":` + memberValue("urn:li:person:7") + `}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var added struct{ CommentURN string }
			l.run(t, "addComment", `{"post":"`+post+`","actor":"`+me+`",`+tt.params+`}`, &added)
			var list comments
			l.read(t, "listComments", `{"post":"`+post+`"}`, &list)
			i := slices.IndexFunc(list.Elements, func(e struct {
				ID, ParentComment, CommentURN string
				Message                       struct {
					Text       string
					Attributes json.RawMessage
				}
			}) bool {
				return e.CommentURN == added.CommentURN
			})
			if i < 0 {
				t.Fatalf("%s not listed: %+v", added.CommentURN, list)
			}
			if m := list.Elements[i].Message; m.Text != tt.text || string(m.Attributes) != tt.atts {
				t.Errorf("listed %q %s, want %q %s", m.Text, m.Attributes, tt.text, tt.atts)
			}
		})
	}
	t.Run("a reply", func(t *testing.T) {
		var parent, reply struct{ CommentURN, ParentComment string }
		l.run(t, "addComment", `{"post":"`+post+`","actor":"`+me+`","text":"Question?"}`, &parent)
		l.run(t, "addComment", `{"post":"`+post+`","actor":"`+me+`","text":"Answer (short)","parentComment":"`+parent.CommentURN+`"}`, &reply)
		if reply.ParentComment != parent.CommentURN {
			t.Errorf("reply %+v to %s", reply, parent.CommentURN)
		}
		status, _, body := l.sendAs(t, l.reader, "GET", "/rest/socialActions/"+EncodeURN(parent.CommentURN)+"/comments", nil,
			http.Header{"Linkedin-Version": {"202610"}, "X-Restli-Protocol-Version": {"2.0.0"}})
		var replies comments
		json.Unmarshal(body, &replies)
		if status != 200 || len(replies.Elements) != 1 || replies.Elements[0].Message.Text != "Answer (short)" {
			t.Errorf("replies: %d %s", status, body)
		}
	})
	// w_member_social writes comments; LinkedIn reads none with it.
	t.Run("listed with only w_member_social", func(t *testing.T) {
		l.refused(t, l.token, "listComments", `{"post":"`+post+`"}`)
	})
}

// TestPostPlainTextRoundTrip: an article's title and description, a media
// title and altText, a poll's question and options are plain text: getPost
// reads them exactly as typed. The commentary is little text on the wire,
// escaped; read back as plain text it is what was typed.
func TestPostPlainTextRoundTrip(t *testing.T) {
	l := newLive(t)
	me := "urn:li:person:" + sandbox.Member["sub"].(string)
	const typed = `a (b) #c *d* _e_ \ f`
	hdr := http.Header{"Linkedin-Version": {"202610"}, "X-Restli-Protocol-Version": {"2.0.0"}}
	_, _, init := l.send(t, "POST", "/rest/images?action=initializeUpload", []byte(`{"initializeUploadRequest":{"owner":"`+me+`"}}`), hdr)
	var up struct {
		Value struct{ UploadURL, Image string }
	}
	if err := json.Unmarshal(init, &up); err != nil || up.Value.Image == "" {
		t.Fatalf("initializeUpload: %s", init)
	}
	req, _ := http.NewRequest("PUT", up.Value.UploadURL, strings.NewReader("\x89PNG\r\n\x1a\n"+strings.Repeat("x", 64)))
	req.URL.Host = strings.TrimPrefix(l.base, "http://")
	req.Header.Set("Authorization", "Bearer "+l.token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("upload: %v %v", resp, err)
	}
	q, _ := json.Marshal(typed)
	tests := []struct {
		name, content string
		check         func(c readContent) bool
	}{
		{"article", `"article":{"source":"https://example.com/a","title":` + string(q) + `,"description":` + string(q) + `}`,
			func(c readContent) bool {
				return c.Article != nil && c.Article.Title == typed && c.Article.Description == typed
			}},
		{"media", `"media":{"id":"` + up.Value.Image + `","title":` + string(q) + `,"altText":` + string(q) + `}`,
			func(c readContent) bool { return c.Media != nil && c.Media.Title == typed && c.Media.AltText == typed }},
		{"poll", `"poll":{"question":` + string(q) + `,"options":[` + string(q) + `,"(x) #y *z* \\"]}`,
			func(c readContent) bool {
				return c.Poll != nil && c.Poll.Question == typed && len(c.Poll.Options) == 2 && c.Poll.Options[0].Text == typed && c.Poll.Options[1].Text == `(x) #y *z* \`
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			commentary := typed + " " + tt.name
			id := l.run(t, "sharePost", `{"author":"`+me+`","commentary":`+jsonString(commentary)+`,`+tt.content+`}`, nil)
			var got struct {
				Commentary string
				Content    readContent
			}
			l.read(t, "getPost", `{"post":"`+id+`"}`, &got)
			if !tt.check(got.Content) {
				t.Errorf("content read back %+v", got.Content)
			}
			if plainText(got.Commentary) != commentary || got.Commentary == commentary {
				t.Errorf("commentary %q: as plain text %q, want %q, escaped on the wire", got.Commentary, plainText(got.Commentary), commentary)
			}
			// w_member_social posts; LinkedIn reads no post with it.
			l.refused(t, l.token, "getPost", `{"post":"`+id+`"}`)
		})
	}
}

// readContent is a post's content as getPost answers it.
type readContent struct {
	Article *struct{ Title, Description string }
	Media   *struct{ Title, AltText string }
	Poll    *struct {
		Question string
		Options  []struct{ Text string }
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
