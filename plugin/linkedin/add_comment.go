package linkedin

import (
	"context"
	"encoding/json"
	"net/http"

	"pluginserver/plugin"
)

// commentLimit is the Comments API's limit on a comment's text.
const commentLimit = 1250

var addComment = &plugin.Command{
	ID:          "addComment",
	Title:       "Add Comment",
	Description: "Comment on a post as the member or a page they administer. The text reads exactly as typed (see textFormat); output.id is the comment's id.",
	Scopes:      []string{"w_member_social"},
	ScopesFor:   asPage("actor"),
	Form: form([]field{postField, actorField,
		{name: "text", required: true, schema: `{"type":"string","title":"Text","description":"The comment, up to 1,250 characters.","examples":["Congratulations (well deserved)!"],"minLength":1,"maxLength":1250,"pattern":"\\S","errorMessage":"must not be empty"}`,
			ui: `{"ui:widget":"textarea","ui:options":{"rows":3}}`},
		textFormatField, mentionsField,
	}, answered("Comment as the member", `{"post":"share:6844785523593134080","actor":"person:782bbtaQ","text":"Congratulations (well deserved)!"}`, 201,
		map[string]string{"x-restli-id": "6844785523593134090"},
		`{"id":"6844785523593134090","actor":"urn:li:person:782bbtaQ","object":"urn:li:share:6844785523593134080","message":{"text":"Congratulations \\(well deserved\\)!"},"commentUrn":"urn:li:comment:(urn:li:share:6844785523593134080,6844785523593134090)"}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			textParams
			onPost
			Text string `json:"text"`
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
		text, err := p.little("text", p.Text, commentLimit)
		if err != nil {
			return nil, err
		}
		return apiCall(s, http.MethodPost, "/rest/socialActions/"+EncodeURN(post)+"/comments", nil,
			map[string]any{"actor": actor, "object": post, "message": map[string]string{"text": text}})
	},
	Map: createdID,
}
