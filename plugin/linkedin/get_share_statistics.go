package linkedin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin/facts"
)

var getShareStatistics = &plugin.Command{
	ID:    "getShareStatistics",
	Title: "Get Share Statistics",
	Description: "Impressions, unique impressions, clicks, likes, comments, shares and engagement of a page's posts (organic only): lifetime (no start) or over a time range by DAY or MONTH, " +
		"for the whole page or for the given posts. LinkedIn keeps them for a rolling 12 months. rows: one per day, month or post ({date, post, clickCount, commentCount, engagement, impressionCount, likeCount, shareCount, uniqueImpressionsCount}).",
	Endpoints: []string{"GET /rest/organizationalEntityShareStatistics?q=organizationalEntity"},
	Form: form([]field{organizationField, startField, endField, granularityField,
		{name: "posts", schema: `{"type":"array","title":"Posts","description":"Only these posts of the page: share:ID or ugcPost:ID (or their URNs). Empty: the whole page.","maxItems":100,
			"examples":[["urn:li:share:6844785523593134080"]],
			"items":{"type":"string","pattern":"^(urn:li:)?(share|ugcPost):[A-Za-z0-9_-]+$","errorMessage":"must be share:ID, ugcPost:ID or their URN"}}`}},
		answered("The page's posts yesterday", `{"organization":"organization:2414183","start":"yesterday"}`, 200, nil,
			`{"paging":{"start":0,"count":10,"links":[]},"elements":[{"organizationalEntity":"urn:li:organization:2414183","timeRange":{"start":1796515200000,"end":1796601600000},"totalShareStatistics":{"uniqueImpressionsCount":310,"shareCount":2,"engagement":0.0421,"clickCount":9,"likeCount":12,"impressionCount":522,"commentCount":1}}]}`),
		answered("One post, lifetime", `{"organization":"organization:2414183","posts":["share:6844785523593134080"]}`, 200, nil,
			`{"paging":{"start":0,"count":10,"links":[]},"elements":[{"organizationalEntity":"urn:li:organization:2414183","share":"urn:li:share:6844785523593134080","totalShareStatistics":{"uniqueImpressionsCount":1790,"shareCount":6,"engagement":0.0388,"clickCount":41,"likeCount":57,"impressionCount":2811,"commentCount":5}}]}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		return statisticsCall(raw, s, "/rest/organizationalEntityShareStatistics", "organizationalEntity",
			rangeLimits{months: facts.ShareStatisticsMonths, what: "share statistics"}, sharePosts)
	},
	Rows: elementRows(func(e object) []row {
		var r row
		if date := rangeDate(e); date != "" {
			r = append(r, Field{"date", date})
		}
		for _, kind := range postKinds {
			if urn, ok := e[kind].(string); ok {
				r = append(r, Field{"post", urn})
			}
		}
		stats, _ := e["totalShareStatistics"].(object)
		return []row{metrics(r, stats)}
	}),
}

// sharePosts are the posts a share statistics call is about, as LinkedIn
// takes them: shares=List(…) and ugcPosts=List(…).
func sharePosts(raw json.RawMessage) (Record, error) {
	p, err := decode[struct {
		Posts []string `json:"posts"`
	}](raw)
	if err != nil {
		return nil, err
	}
	var shares, ugcPosts []string
	for i, post := range p.Posts {
		urn, err := urnParam(fmt.Sprintf("posts.%d", i), post, postKinds...)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(urn, "urn:li:share:") {
			shares = append(shares, urn)
		} else {
			ugcPosts = append(ugcPosts, urn)
		}
	}
	var out Record
	if shares != nil {
		out = append(out, Field{"shares", shares})
	}
	if ugcPosts != nil {
		out = append(out, Field{"ugcPosts", ugcPosts})
	}
	return out, nil
}
