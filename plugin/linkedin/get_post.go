package linkedin

import (
	"context"
	"encoding/json"
	"net/http"

	"pluginserver/plugin"
)

var getPost = &plugin.Command{
	ID:          "getPost",
	Title:       "Get Post",
	Description: "Read a post with LinkedIn's Posts API: its author, text, content and state.",
	Endpoints:   []string{"GET /rest/posts/{post}"},
	Form: form([]field{postField},
		answered("A post", `{"post":"urn:li:share:6844785523593134080"}`, 200, nil,
			`{"id":"urn:li:share:6844785523593134080","author":"urn:li:person:782bbtaQ","commentary":"Hello World! \\(our first post\\) #launch","visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]},"lifecycleState":"PUBLISHED","isReshareDisabledByAuthor":false,"createdAt":1764400000000,"lastModifiedAt":1764400000000,"publishedAt":1764400000000}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		post, err := postParam(raw)
		if err != nil {
			return nil, err
		}
		return apiCall(s, http.MethodGet, "/rest/posts/"+EncodeURN(post), nil, nil)
	},
}

// onPost are the params naming the post a command is about and, for a
// command that acts on it, who acts; commands with more params embed it,
// so their params are decoded once.
type onPost struct {
	Post  string `json:"post"`
	Actor string `json:"actor"`
}

func (p onPost) post() (string, error)  { return urnParam("post", p.Post, postKinds...) }
func (p onPost) actor() (string, error) { return urnParam("actor", p.Actor, authorKinds...) }

// postParam reads the post of a command that has no other params.
func postParam(raw json.RawMessage) (string, error) {
	p, err := decode[onPost](raw)
	if err != nil {
		return "", err
	}
	return p.post()
}
