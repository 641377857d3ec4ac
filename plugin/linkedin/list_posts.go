package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"pluginserver/plugin"
)

var listPosts = &plugin.Command{
	ID:          "listPosts",
	Title:       "List Posts",
	Description: "List an author's posts, newest first, a page at a time (output.paging).",
	Endpoints:   []string{"GET /rest/posts?q=author"},
	Form: form([]field{restAuthorField,
		{name: "count", schema: `{"type":"integer","title":"Count","description":"Posts per page, up to 100.","default":10,"minimum":1,"maximum":100,"examples":[10]}`},
		{name: "start", schema: `{"type":"integer","title":"Start","description":"How many posts to skip: output.paging.start + count for the next page.","default":0,"minimum":0,"examples":[0]}`},
	}, answered("The member's latest posts", `{"author":"person:782bbtaQ","count":10}`, 200, nil,
		`{"elements":[{"id":"urn:li:share:6844785523593134080","author":"urn:li:person:782bbtaQ","commentary":"Hello World!","visibility":"PUBLIC","lifecycleState":"PUBLISHED"}],"paging":{"start":0,"count":10,"total":1,"links":[]}}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			Author string `json:"author"`
			Count  *int   `json:"count"`
			Start  int    `json:"start"`
		}](raw)
		if err != nil {
			return nil, err
		}
		author, err := urnParam("author", p.Author, authorKinds...)
		if err != nil {
			return nil, err
		}
		count := 10
		if p.Count != nil {
			count = *p.Count
		}
		c, err := apiCall(s, http.MethodGet, "/rest/posts", url.Values{"q": {"author"}, "author": {author},
			"count": {strconv.Itoa(count)}, "start": {strconv.Itoa(p.Start)}}, nil)
		if err == nil {
			c.Header.Set("X-RestLi-Method", "FINDER")
		}
		return c, err
	},
}
