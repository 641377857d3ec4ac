package linkedin

import (
	"context"
	"encoding/json"

	"pluginserver/plugin"
)

var createPost = &plugin.Command{
	ID:          "createPost",
	Title:       "Create Post",
	Description: "Share a text post as the member or a page (UGC Posts API). The new post's URN is output.id.",
	Scopes:      []string{"w_member_social"},
	Form: form([]field{authorField, lifecycleField, textField, visibilityField},
		answered("A public post", `{"author":"person:123456789","lifecycleState":"PUBLISHED","text":"Hello World!","visibility":"PUBLIC"}`,
			201, map[string]string{"x-restli-id": "urn:li:share:6844785523593134080"}, `{"id":"urn:li:share:6844785523593134080"}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[postParams](raw)
		if err != nil {
			return nil, err
		}
		body, err := p.ugcPost("NONE", nil)
		if err != nil {
			return nil, err
		}
		return apiCall(s, "POST", "/v2/ugcPosts", nil, body)
	},
	Map: createdID,
}

type postParams struct {
	Author         string `json:"author"`
	LifecycleState string `json:"lifecycleState"`
	Text           string `json:"text"`
	Visibility     string `json:"visibility"`
}

// ugcPost is the body of POST /v2/ugcPosts.
func (p postParams) ugcPost(category string, media []mediaEntry) (map[string]any, error) {
	author, err := authorURN(p.Author)
	if err != nil {
		return nil, err
	}
	content := map[string]any{
		"shareCommentary":    map[string]string{"text": p.Text},
		"shareMediaCategory": category,
	}
	if media != nil {
		content["media"] = media
	}
	return map[string]any{
		"author":          author,
		"lifecycleState":  p.LifecycleState,
		"specificContent": map[string]any{"com.linkedin.ugc.ShareContent": content},
		"visibility":      map[string]string{"com.linkedin.ugc.MemberNetworkVisibility": p.Visibility},
	}, nil
}
