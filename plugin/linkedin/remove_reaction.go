package linkedin

import (
	"context"
	"encoding/json"
	"net/http"

	"pluginserver/plugin"
)

var removeReaction = &plugin.Command{
	ID:          "removeReaction",
	Title:       "Remove Reaction",
	Description: "Take back the member's or their page's reaction to a post.",
	Endpoints:   []string{"DELETE /rest/reactions/{key}"},
	Form: form([]field{postField, actorField},
		answered("Take back a like", `{"post":"share:6844785523593134080","actor":"person:782bbtaQ"}`, 204, nil,
			`{"id":"(actor:urn%3Ali%3Aperson%3A782bbtaQ,entity:urn%3Ali%3Ashare%3A6844785523593134080)","deleted":true}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[onPost](raw)
		if err != nil {
			return nil, err
		}
		post, actor, err := p.reaction()
		if err != nil {
			return nil, err
		}
		return apiCall(s, http.MethodDelete, "/rest/reactions/"+restliKey("actor", actor, "entity", post), nil, nil)
	},
	Map: changed("deleted"),
}
