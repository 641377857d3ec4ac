package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"pluginserver/plugin"
)

var getPost = &plugin.Command{
	ID:          "getPost",
	Title:       "Get Post",
	Description: "Read a post with LinkedIn's Posts API: its author, text, content and state.",
	Endpoints:   []string{"GET /rest/posts/{post}"},
	Form: form([]field{postField,
		{name: "viewContext", schema: `{"type":"string","title":"View","description":"READER reads the post as others see it; AUTHOR reads it as its author does, drafts included.","default":"READER","examples":["AUTHOR"],
			"oneOf":[{"const":"READER","title":"As others see it"},{"const":"AUTHOR","title":"As its author (drafts too)"}]}`}},
		answered("A post", `{"post":"urn:li:share:6844785523593134080"}`, 200, nil,
			`{"id":"urn:li:share:6844785523593134080","author":"urn:li:person:782bbtaQ","commentary":"Hello World! \\(our first post\\) #launch","visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]},"lifecycleState":"PUBLISHED","isReshareDisabledByAuthor":false,"createdAt":1764400000000,"lastModifiedAt":1764400000000,"publishedAt":1764400000000}`),
		answered("A draft, as its author", `{"post":"urn:li:share:6844785523593134087","viewContext":"AUTHOR"}`, 200, nil,
			`{"id":"urn:li:share:6844785523593134087","author":"urn:li:person:782bbtaQ","commentary":"Coming soon","visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]},"lifecycleState":"DRAFT","isReshareDisabledByAuthor":false,"createdAt":1764400000000,"lastModifiedAt":1764400000000}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			onPost
			ViewContext string `json:"viewContext"`
		}](raw)
		if err != nil {
			return nil, err
		}
		post, err := p.post()
		if err != nil {
			return nil, err
		}
		var query url.Values
		if p.ViewContext != "" {
			query = url.Values{"viewContext": {p.ViewContext}}
		}
		return apiCall(s, http.MethodGet, "/rest/posts/"+EncodeURN(post), query, nil)
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
