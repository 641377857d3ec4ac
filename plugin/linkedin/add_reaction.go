package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"pluginserver/plugin"
)

var addReaction = &plugin.Command{
	ID:          "addReaction",
	Title:       "Add Reaction",
	Description: "React to a post as the member or a page they administer. output.id is the reaction's id.",
	Endpoints:   []string{"POST /rest/reactions"},
	Form: form([]field{postField, actorField,
		{name: "reactionType", required: true, schema: `{"type":"string","title":"Reaction","default":"LIKE","examples":["LIKE"],"oneOf":[
			{"const":"LIKE","title":"Like"},{"const":"PRAISE","title":"Celebrate"},{"const":"EMPATHY","title":"Love"},
			{"const":"INTEREST","title":"Insightful"},{"const":"APPRECIATION","title":"Support"},{"const":"ENTERTAINMENT","title":"Funny"}]}`},
	}, answered("Like a post", `{"post":"share:6844785523593134080","actor":"person:782bbtaQ","reactionType":"LIKE"}`, 201,
		map[string]string{"x-restli-id": "urn:li:reaction:(urn:li:person:782bbtaQ,urn:li:share:6844785523593134080)"},
		`{"id":"urn:li:reaction:(urn:li:person:782bbtaQ,urn:li:share:6844785523593134080)"}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			onPost
			ReactionType string `json:"reactionType"`
		}](raw)
		if err != nil {
			return nil, err
		}
		post, actor, err := p.reaction()
		if err != nil {
			return nil, err
		}
		return apiCall(s, http.MethodPost, "/rest/reactions", url.Values{"actor": {actor}}, map[string]string{"root": post, "reactionType": p.ReactionType})
	},
	Map: createdID,
}

// reaction is the post reacted to and who reacts.
func (p onPost) reaction() (post, actor string, err error) {
	if post, err = p.post(); err != nil {
		return "", "", err
	}
	actor, err = p.actor()
	return post, actor, err
}
