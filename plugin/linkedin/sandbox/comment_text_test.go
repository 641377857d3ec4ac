package sandbox_test

import (
	"strings"
	"testing"

	"pluginserver/plugin/linkedin/sandbox"
)

// TestCommentText: a comment is plain text, kept and answered as sent with
// its attributes; an attribute outside the text is a 422; a reply goes under
// its parent comment, which must exist; a backslash before a reserved
// character, the mark of a client escaping plain text, is logged.
func TestCommentText(t *testing.T) {
	var log logs
	srv, _ := start(t, sandbox.Options{Logf: log.Logf})
	tok := tokensFor(t, srv)
	c := newRest(t, srv)
	comment := func(text string, more ...any) string {
		m := map[string]any{"actor": member, "object": "{post}", "message": map[string]any{"text": text}}
		for i := 0; i+1 < len(more); i += 2 {
			if more[i] == "attributes" {
				m["message"].(map[string]any)["attributes"] = more[i+1]
			} else {
				m[more[i].(string)] = more[i+1]
			}
		}
		return jsonOf(m)
	}
	mention := func(start, length int) []any {
		return []any{map[string]any{"start": start, "length": length, "value": map[string]any{
			"com.linkedin.common.MemberAttributedEntity": map[string]string{"member": "urn:li:person:7"}}}}
	}
	const comments = "/rest/socialActions/{post%}/comments"
	const replies = "/rest/socialActions/{parent%}/comments"
	typed := `Nice (really) #launch *bold* \ done`
	noLog := func(t *testing.T, a answer) {
		if log.String() != "" {
			t.Errorf("logged %q", log.String())
		}
	}
	c.run([]step{
		{name: "a post", method: "POST", path: "/rest/posts", token: tok.member, body: post(member, "Comment on me"), status: 201, save: "post"},
		{name: "reserved characters kept", method: "POST", path: comments, token: tok.member, body: comment(typed), status: 201, save: "typed",
			want: []string{`"message":{"text":` + jsonOf(typed) + `}`}, check: noLog},
		{name: "and listed as sent", method: "GET", path: comments, token: tok.reader, status: 200, want: []string{`"text":` + jsonOf(typed)}},
		{name: "a mention after an emoji", method: "POST", path: comments, token: tok.member, body: comment("🎉 Ana!", "attributes", mention(3, 3)), status: 201,
			want: []string{`"attributes":[{"length":3,"start":3,"value":{"com.linkedin.common.MemberAttributedEntity":{"member":"urn:li:person:7"}}}]`}},
		{name: "a mention past the end", method: "POST", path: comments, token: tok.member, body: comment("🎉 Ana!", "attributes", mention(5, 3)), status: 422,
			want: []string{"/message/attributes/0", "outside the text"}},
		{name: "a mention before the start", method: "POST", path: comments, token: tok.member, body: comment("Ana", "attributes", mention(-1, 2)), status: 422, want: []string{"/message/attributes/0"}},
		{name: "a mention of no length", method: "POST", path: comments, token: tok.member, body: comment("Ana", "attributes", mention(0, 0)), status: 422, want: []string{"/message/attributes/0"}},
		{name: "a mention without start", method: "POST", path: comments, token: tok.member, body: comment("Ana", "attributes", []any{map[string]any{"length": 3, "value": map[string]any{}}}), status: 422, want: []string{"/message/attributes/0"}},
		{name: "a parent", method: "POST", path: comments, token: tok.member, body: comment("Question?"), status: 201, save: "id", check: func(t *testing.T, a answer) {
			c.vars["parent"] = "urn:li:comment:(" + c.vars["post"] + "," + a.header.Get("X-Restli-Id") + ")"
			c.vars["unknown"] = "urn:li:comment:(" + c.vars["post"] + ",1)"
		}},
		{name: "a reply", method: "POST", path: replies, token: tok.member, body: comment("Answer (short)", "parentComment", "{parent}"), status: 201, save: "reply",
			want: []string{`"parentComment":"{parent}"`, `"text":"Answer (short)"`, `"commentUrn":"urn:li:comment:({post},`}},
		{name: "the parent's replies", method: "GET", path: replies, token: tok.reader, status: 200, want: []string{`"id":"{reply}"`, `"total":1`}},
		{name: "the post's comments leave replies out", method: "GET", path: comments, token: tok.reader, status: 200, check: func(t *testing.T, a answer) {
			if strings.Contains(string(a.body), `"id":"`+c.vars["reply"]+`"`) || !strings.Contains(string(a.body), `"total":3`) {
				t.Errorf("%s", a.body)
			}
		}},
		{name: "a reply to an unknown comment", method: "POST", path: "/rest/socialActions/{unknown%}/comments", token: tok.member,
			body: comment("x", "parentComment", "{unknown}"), status: 404, want: []string{"RESOURCE_NOT_FOUND", "{unknown}"}},
		{name: "a reply naming another parent", method: "POST", path: replies, token: tok.member, body: comment("x", "parentComment", "{unknown}"), status: 422, want: []string{"/parentComment"}},
		{name: "a reply under the post", method: "POST", path: comments, token: tok.member, body: comment("x", "parentComment", "{parent}"), status: 422, want: []string{"/parentComment"}},
		{name: "a reply on another post", method: "POST", path: replies, token: tok.member, body: comment("x", "parentComment", "{parent}", "object", "urn:li:share:1"), status: 422, want: []string{"/object"}},
		{name: "text escaped as little text is kept, and logged", method: "POST", path: comments, token: tok.member, body: comment(`Nice \(really\)`), status: 201,
			want: []string{`"text":"Nice \\(really\\)"`}, check: func(t *testing.T, a answer) {
				if want := `: message has "\\(": a comment is plain text`; !strings.Contains(log.String(), want) {
					t.Errorf("log %q lacks %q", log.String(), want)
				}
			}},
	})
}
