package linkedin

import (
	"context"
	"encoding/json"

	"pluginserver/plugin"
)

var listReactions = &plugin.Command{
	ID:          "listReactions",
	Title:       "List Reactions",
	Description: "The reactions on a post, a page at a time (output.paging): who reacted, how and when. rows: one per reaction ({actor, reactionType, createdAt}).",
	Endpoints:   []string{"GET /rest/reactions/{key}?q=entity"},
	Form: form([]field{postField,
		{name: "sort", schema: `{"type":"string","title":"Order","description":"REVERSE_CHRONOLOGICAL: newest first; CHRONOLOGICAL: oldest first; RELEVANCE: as LinkedIn ranks them.","default":"REVERSE_CHRONOLOGICAL","examples":["REVERSE_CHRONOLOGICAL"],
			"oneOf":[{"const":"REVERSE_CHRONOLOGICAL","title":"Newest first"},{"const":"CHRONOLOGICAL","title":"Oldest first"},{"const":"RELEVANCE","title":"Most relevant"}]}`},
		{name: "count", schema: `{"type":"integer","title":"Count","description":"Reactions per page, up to 100.","default":10,"minimum":1,"maximum":100,"examples":[10]}`},
		{name: "start", schema: `{"type":"integer","title":"Start","description":"How many reactions to skip: output.paging.start + count for the next page.","default":0,"minimum":0,"examples":[0]}`},
	}, answered("The latest reactions to a post", `{"post":"share:6844785523593134080","count":10}`, 200, nil,
		`{"paging":{"start":0,"count":10,"total":2,"links":[]},"elements":[{"id":"urn:li:reaction:(urn:li:person:782bbtaQ,urn:li:share:6844785523593134080)","actor":"urn:li:person:782bbtaQ","root":"urn:li:share:6844785523593134080","reactionType":"PRAISE","created":{"actor":"urn:li:person:782bbtaQ","time":1793577600000},"lastModified":{"actor":"urn:li:person:782bbtaQ","time":1793577600000}},{"id":"urn:li:reaction:(urn:li:organization:2414183,urn:li:share:6844785523593134080)","actor":"urn:li:organization:2414183","root":"urn:li:share:6844785523593134080","reactionType":"LIKE","created":{"actor":"urn:li:person:782bbtaQ","time":1793491200000},"lastModified":{"actor":"urn:li:person:782bbtaQ","time":1793491200000}}]}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			onPost
			Sort  string `json:"sort"`
			Count *int   `json:"count"`
			Start int    `json:"start"`
		}](raw)
		if err != nil {
			return nil, err
		}
		post, err := p.post()
		if err != nil {
			return nil, err
		}
		count := 10
		if p.Count != nil {
			count = *p.Count
		}
		sort := p.Sort
		if sort == "" {
			sort = "REVERSE_CHRONOLOGICAL"
		}
		return restliGet(s, "/rest/reactions/"+RestliEncode(Record{{"entity", post}}),
			Record{{"q", "entity"}, {"sort", Record{{"value", sort}}}, {"count", count}, {"start", p.Start}})
	},
	Rows: elementRows(func(e object) []row {
		r := row{{"actor", e["actor"]}, {"reactionType", e["reactionType"]}}
		if created, ok := e["created"].(object); ok {
			if n, ok := created["time"].(json.Number); ok {
				if ms, err := n.Int64(); err == nil {
					r = append(r, Field{"createdAt", timeOf(ms)})
				}
			}
		}
		return []row{r}
	}),
}
