package linkedin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf16"

	"pluginserver/plugin"
)

// commentLimit is the Comments API's limit on a comment's text.
const commentLimit = 1250

// parentCommentURN is a comment replied to: urn:li:comment:(post URN,id),
// the commentUrn LinkedIn answers for a comment (on a share, a ugcPost, or
// the activity LinkedIn's own answers name).
var parentCommentURN = regexp.MustCompile(`^urn:li:comment:\((urn:li:(?:share|ugcPost|activity):[0-9]+),[0-9]+\)$`)

var addComment = &plugin.Command{
	ID:          "addComment",
	Title:       "Add Comment",
	Description: "Comment on a post, or reply to a comment (parentComment), as the member or a page they administer. A comment is plain text: LinkedIn shows it exactly as sent, and each @Name of mentions becomes a mention. output.id is the comment's id.",
	Endpoints:   []string{"POST /rest/socialActions/{post}/comments"},
	Form: form([]field{postField, actorField,
		{name: "text", required: true, schema: `{"type":"string","title":"Text","description":"The comment, up to 1,250 characters, shown exactly as typed.","examples":["Congratulations (well deserved)!"],"minLength":1,"maxLength":1250,"pattern":"\\S","errorMessage":"must not be empty"}`,
			ui: `{"ui:widget":"textarea","ui:options":{"rows":3}}`},
		mentionsField,
		{name: "parentComment", schema: `{"type":"string","title":"Reply to","description":"To reply to a comment: its URN (output.commentUrn of Add Comment or List Comments), a comment on the post above.","examples":["urn:li:comment:(urn:li:share:6844785523593134080,6844785523593134090)"],"pattern":"^urn:li:comment:\\(urn:li:(share|ugcPost|activity):[0-9]+,[0-9]+\\)$","errorMessage":"must be a comment URN, urn:li:comment:(urn:li:share:ID,ID)"}`},
	}, answered("Comment as the member", `{"post":"share:6844785523593134080","actor":"person:782bbtaQ","text":"Congratulations (well deserved)!"}`, 201,
		map[string]string{"x-restli-id": "6844785523593134090"},
		`{"id":"6844785523593134090","actor":"urn:li:person:782bbtaQ","object":"urn:li:share:6844785523593134080","message":{"text":"Congratulations (well deserved)!"},"commentUrn":"urn:li:comment:(urn:li:share:6844785523593134080,6844785523593134090)"}`),
		answered("Reply to a comment", `{"post":"share:6844785523593134080","actor":"person:782bbtaQ","text":"Thanks (truly)!","parentComment":"urn:li:comment:(urn:li:share:6844785523593134080,6844785523593134090)"}`, 201,
			map[string]string{"x-restli-id": "6844785523593134095"},
			`{"id":"6844785523593134095","actor":"urn:li:person:782bbtaQ","object":"urn:li:share:6844785523593134080","message":{"text":"Thanks (truly)!"},"parentComment":"urn:li:comment:(urn:li:share:6844785523593134080,6844785523593134090)","commentUrn":"urn:li:comment:(urn:li:share:6844785523593134080,6844785523593134095)"}`),
		answered("Mention a page in a comment", `{"post":"share:6844785523593134080","actor":"person:782bbtaQ","text":"Proud of the team at @Sandbox Devices!","mentions":[{"name":"Sandbox Devices","urn":"organization:2414183"}]}`, 201,
			map[string]string{"x-restli-id": "6844785523593134096"},
			`{"id":"6844785523593134096","actor":"urn:li:person:782bbtaQ","object":"urn:li:share:6844785523593134080","message":{"text":"Proud of the team at Sandbox Devices!","attributes":[{"start":21,"length":15,"value":{"com.linkedin.common.CompanyAttributedEntity":{"company":"urn:li:organization:2414183"}}}]},"commentUrn":"urn:li:comment:(urn:li:share:6844785523593134080,6844785523593134096)"}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			onPost
			Text          string    `json:"text"`
			Mentions      []mention `json:"mentions"`
			ParentComment string    `json:"parentComment"`
		}](raw)
		if err != nil {
			return nil, err
		}
		post, err := p.post()
		if err != nil {
			return nil, err
		}
		actor, err := p.actor()
		if err != nil {
			return nil, err
		}
		message, err := commentMessage(p.Text, p.Mentions)
		if err != nil {
			return nil, err
		}
		body := map[string]any{"actor": actor, "object": post, "message": message}
		// A reply goes to the parent comment's comments, and still names the
		// post as its object.
		on := post
		if p.ParentComment != "" {
			m := parentCommentURN.FindStringSubmatch(p.ParentComment)
			if m == nil {
				return nil, plugin.InvalidField("parentComment", "must be a comment URN, urn:li:comment:(urn:li:share:ID,ID)")
			}
			if !strings.HasPrefix(m[1], "urn:li:activity:") && m[1] != post {
				return nil, plugin.InvalidField("parentComment", "is a comment on %s, not on the post %s", m[1], post)
			}
			body["parentComment"], on = p.ParentComment, p.ParentComment
		}
		return apiCall(s, http.MethodPost, "/rest/socialActions/"+EncodeURN(on)+"/comments", nil, body)
	},
	Map: createdID,
}

// Comments are plain text, not little text: LinkedIn's little text page
// says "In the Posts API, commentary text is stored as a text string along
// with an array of attributes. little is a simplified replacement for this
// model used in the Posts API" (learn.microsoft.com/linkedin/marketing/
// community-management/shares/little-text-format), and the Comments API
// (…/community-management/shares/comments-api) keeps that older model:
// message {text, attributes}, each attribute {start, length, value} with
// value {"com.linkedin.common.MemberAttributedEntity": {"member": person
// URN}} or {"com.linkedin.common.CompanyAttributedEntity": {"company":
// organization URN}}. A reply is posted to /rest/socialActions/{encoded
// parent comment URN}/comments with parentComment set.
//
// LinkedIn's pages do not say in what unit start and length count. Its
// services are Java, whose strings index UTF-16 code units, and the clients
// that mention people in comments count the same (JavaScript's length):
// offsets here count UTF-16 code units, equal to characters for text
// without emoji or other characters beyond U+FFFF. The 1,250 limit is
// counted the same way, which is never fewer than characters: on the safe side.

// commentAttribute is a mention in a comment's text: where, and whom.
type commentAttribute struct {
	Start  int            `json:"start"`
	Length int            `json:"length"`
	Value  map[string]any `json:"value"`
}

// message is a comment's message: the text as typed, with each mention's
// "@Name" shown as the Name (as LinkedIn shows a mention), and its mentions.
type message struct {
	Text       string             `json:"text"`
	Attributes []commentAttribute `json:"attributes,omitempty"`
}

// commentMessage finds each mention's "@Name" in text, in the order of
// mentions, each after the one before, and turns it into an attribute; a
// mention whose "@Name" is not there is invalid input naming it.
func commentMessage(text string, mentions []mention) (message, error) {
	var out strings.Builder
	var attrs []commentAttribute
	from := 0
	for i, m := range mentions {
		urn, err := urnParam(fmt.Sprintf("mentions.%d.urn", i), m.URN, authorKinds...)
		if err != nil {
			return message{}, err
		}
		at := -1
		if m.Name != "" {
			at = strings.Index(text[from:], "@"+m.Name)
		}
		if at < 0 {
			where := "in the text"
			if i > 0 {
				where = "in the text after the mention before it"
			}
			return message{}, plugin.InvalidField(fmt.Sprintf("mentions.%d.name", i), "%q does not appear %s; write it there where the mention goes", "@"+m.Name, where)
		}
		out.WriteString(text[from : from+at])
		value := map[string]any{"com.linkedin.common.MemberAttributedEntity": map[string]string{"member": urn}}
		if strings.HasPrefix(urn, "urn:li:organization:") {
			value = map[string]any{"com.linkedin.common.CompanyAttributedEntity": map[string]string{"company": urn}}
		}
		attrs = append(attrs, commentAttribute{Start: utf16Len(out.String()), Length: utf16Len(m.Name), Value: value})
		out.WriteString(m.Name)
		from += at + 1 + len(m.Name)
	}
	out.WriteString(text[from:])
	msg := message{Text: out.String(), Attributes: attrs}
	if n := utf16Len(msg.Text); n > commentLimit {
		return message{}, plugin.InvalidField("text", "is %d characters as LinkedIn counts them (UTF-16 units); LinkedIn takes at most %d", n, commentLimit)
	}
	return msg, nil
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
