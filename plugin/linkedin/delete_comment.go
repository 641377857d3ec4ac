package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"

	"pluginserver/plugin"
)

// commentID is a comment's id, bare or inside its urn:li:comment URN.
var commentID = regexp.MustCompile(`^(?:urn:li:comment:\((?:urn:li:[A-Za-z]+:[A-Za-z0-9_-]+),)?([0-9]+)\)?$`)

var deleteComment = &plugin.Command{
	ID:          "deleteComment",
	Title:       "Delete Comment",
	Description: "Delete a comment the member or their page wrote. output.id is the comment deleted.",
	Endpoints:   []string{"DELETE /rest/socialActions/{post}/comments/{comment}"},
	Form: form([]field{postField,
		{name: "comment", required: true, schema: `{"type":"string","title":"Comment","description":"The comment's id (output.id of Add Comment) or its urn:li:comment URN.","examples":["6844785523593134090"],"pattern":"^(urn:li:comment:\\(urn:li:[A-Za-z]+:[A-Za-z0-9_-]+,)?[0-9]+\\)?$","errorMessage":"must be a comment id or a urn:li:comment URN"}`},
		actorField,
	}, answered("Delete a comment", `{"post":"share:6844785523593134080","comment":"6844785523593134090","actor":"person:782bbtaQ"}`, 204, nil,
		`{"id":"6844785523593134090","deleted":true}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			onPost
			Comment string `json:"comment"`
		}](raw)
		if err != nil {
			return nil, err
		}
		post, err := p.post()
		if err != nil {
			return nil, err
		}
		m := commentID.FindStringSubmatch(p.Comment)
		if m == nil {
			return nil, plugin.InvalidField("comment", "must be a comment id or a urn:li:comment URN")
		}
		actor, err := p.actor()
		if err != nil {
			return nil, err
		}
		return apiCall(s, http.MethodDelete, "/rest/socialActions/"+EncodeURN(post)+"/comments/"+m[1], url.Values{"actor": {actor}}, nil)
	},
	Map: changed("deleted"),
}
