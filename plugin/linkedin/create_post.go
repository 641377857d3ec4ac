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
	Endpoints:   []string{"POST /v2/ugcPosts"},
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

// ugcPost is the body of POST /v2/ugcPosts. Structs rather than maps: the
// body is built on every post, and fields in LinkedIn's documented order
// encode without sorting keys.
type ugcPost struct {
	Author          string `json:"author"`
	LifecycleState  string `json:"lifecycleState"`
	SpecificContent struct {
		ShareContent struct {
			Media           []mediaEntry `json:"media,omitempty"`
			ShareCommentary struct {
				Text string `json:"text"`
			} `json:"shareCommentary"`
			ShareMediaCategory string `json:"shareMediaCategory"`
		} `json:"com.linkedin.ugc.ShareContent"`
	} `json:"specificContent"`
	Visibility struct {
		MemberNetwork string `json:"com.linkedin.ugc.MemberNetworkVisibility"`
	} `json:"visibility"`
}

func (p postParams) ugcPost(category string, media []mediaEntry) (*ugcPost, error) {
	author, err := authorURN(p.Author)
	if err != nil {
		return nil, err
	}
	post := &ugcPost{Author: author, LifecycleState: p.LifecycleState}
	content := &post.SpecificContent.ShareContent
	content.Media, content.ShareCommentary.Text, content.ShareMediaCategory = media, p.Text, category
	post.Visibility.MemberNetwork = p.Visibility
	return post, nil
}
