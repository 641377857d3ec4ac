package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"pluginserver/plugin"
)

var getSocialMetadata = &plugin.Command{
	ID:    "getSocialMetadata",
	Title: "Get Social Metadata",
	Description: "A post's reaction counts by type and its comment count (organic and sponsored), and whether comments are open. " +
		"rows: one per reaction type ({reactionType, count}), for a pie or bar chart.",
	Endpoints: []string{"GET /rest/socialMetadata/{post}"},
	Form: form([]field{postField},
		answered("A post's reactions and comments", `{"post":"share:6844785523593134080"}`, 200, nil,
			`{"reactionSummaries":{"LIKE":{"reactionType":"LIKE","count":12},"PRAISE":{"reactionType":"PRAISE","count":3},"EMPATHY":{"reactionType":"EMPATHY","count":1}},"commentsState":"OPEN","commentSummary":{"count":4,"topLevelCount":3},"entity":"urn:li:share:6844785523593134080"}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		post, err := postParam(raw)
		if err != nil {
			return nil, err
		}
		return apiCall(s, http.MethodGet, "/rest/socialMetadata/"+RestliEncode(post), nil, nil)
	},
	Rows: func(output json.RawMessage) json.RawMessage {
		o := decodeObject(output)
		if o == nil {
			return nil
		}
		summaries, _ := o["reactionSummaries"].(object)
		types := make([]string, 0, len(summaries))
		for t := range summaries {
			types = append(types, t)
		}
		slices.Sort(types)
		var rows []row
		for _, t := range types {
			s, _ := summaries[t].(object)
			rows = append(rows, row{{"reactionType", t}, {"count", s["count"]}})
		}
		return rowsJSON(rows)
	},
}
