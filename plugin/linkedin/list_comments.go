package linkedin

import (
	"context"
	"encoding/json"
	"net/http"

	"pluginserver/plugin"
)

var listComments = &plugin.Command{
	ID:          "listComments",
	Title:       "List Comments",
	Description: "List the comments on a post.",
	Endpoints:   []string{"GET /rest/socialActions/{post}/comments"},
	Form: form([]field{postField},
		answered("A post's comments", `{"post":"share:6844785523593134080"}`, 200, nil,
			`{"elements":[{"id":"6844785523593134090","actor":"urn:li:person:782bbtaQ","object":"urn:li:share:6844785523593134080","message":{"text":"Congratulations!"}}],"paging":{"start":0,"count":10,"total":1,"links":[]}}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		post, err := postParam(raw)
		if err != nil {
			return nil, err
		}
		return apiCall(s, http.MethodGet, "/rest/socialActions/"+EncodeURN(post)+"/comments", nil, nil)
	},
}
