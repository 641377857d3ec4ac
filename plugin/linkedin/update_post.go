package linkedin

import (
	"context"
	"encoding/json"
	"net/http"

	"pluginserver/plugin"
)

var updatePost = &plugin.Command{
	ID:          "updatePost",
	Title:       "Update Post",
	Description: "Change a post's text, call-to-action label or lifecycle state (a partial update: what is not given stays). output.id is the post updated.",
	Endpoints:   []string{"POST /rest/posts/{post}"},
	Form: form([]field{postField,
		{name: "commentary", schema: `{"type":"string","title":"Text","description":"The new text, up to 3,000 characters; read as textFormat says.","examples":["Hello again, World!"],"maxLength":3000}`,
			ui: `{"ui:widget":"textarea","ui:options":{"rows":5}}`},
		textFormatField, mentionsField,
		{name: "contentCallToActionLabel", schema: `{"type":"string","title":"Call to action","description":"The label of the post's button (sponsored content).","examples":["LEARN_MORE"],
			"enum":["APPLY","DOWNLOAD","VIEW_QUOTE","LEARN_MORE","SIGN_UP","SUBSCRIBE","REGISTER","JOIN","ATTEND","REQUEST_DEMO","SEE_MORE","BUY_NOW","SHOP_NOW"]}`},
		{name: "lifecycleState", schema: `{"type":"string","title":"Lifecycle state","examples":["PUBLISHED"],"oneOf":[{"const":"PUBLISHED","title":"Published"},{"const":"DRAFT","title":"Draft"}]}`},
	}, answered("Change the text", `{"post":"urn:li:share:6844785523593134080","commentary":"Hello again, World!"}`, 204, nil,
		`{"id":"urn:li:share:6844785523593134080","updated":true}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			textParams
			onPost
			Commentary               *string `json:"commentary"`
			ContentCallToActionLabel string  `json:"contentCallToActionLabel"`
			LifecycleState           string  `json:"lifecycleState"`
		}](raw)
		if err != nil {
			return nil, err
		}
		post, err := p.post()
		if err != nil {
			return nil, err
		}
		set := map[string]string{}
		if p.Commentary != nil {
			if set["commentary"], err = p.little("commentary", *p.Commentary, 3000); err != nil {
				return nil, err
			}
		}
		if p.ContentCallToActionLabel != "" {
			set["contentCallToActionLabel"] = p.ContentCallToActionLabel
		}
		if p.LifecycleState != "" {
			set["lifecycleState"] = p.LifecycleState
		}
		if len(set) == 0 {
			return nil, plugin.InvalidField("params", "name something to change: commentary, contentCallToActionLabel or lifecycleState")
		}
		c, err := apiCall(s, http.MethodPost, "/rest/posts/"+EncodeURN(post), nil, map[string]any{"patch": map[string]any{"$set": set}})
		if err == nil {
			c.Header.Set("X-RestLi-Method", "PARTIAL_UPDATE")
		}
		return c, err
	},
	Map: changed("updated"),
}
