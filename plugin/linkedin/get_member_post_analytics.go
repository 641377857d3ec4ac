package linkedin

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"pluginserver/plugin"
)

var getMemberPostAnalytics = &plugin.Command{
	ID:    "getMemberPostAnalytics",
	Title: "Get Member Post Analytics",
	Description: "The member's own post analytics (impressions, members reached, reshares, reactions or comments), for one post or all their posts, in total or day by day over a time range. " +
		"Needs r_member_postAnalytics, which LinkedIn grants to approved apps only. rows: one per day ({date, count}) or one total ({count}).",
	Endpoints: []string{"GET /rest/memberCreatorPostAnalytics?q=me", "GET /rest/memberCreatorPostAnalytics?q=entity"},
	Form: form([]field{
		{name: "queryType", required: true, schema: `{"type":"string","title":"Metric","description":"What to count.","default":"IMPRESSION","examples":["IMPRESSION"],
			"oneOf":[{"const":"IMPRESSION","title":"Impressions"},{"const":"MEMBERS_REACHED","title":"Members reached"},{"const":"RESHARE","title":"Reshares"},{"const":"REACTION","title":"Reactions"},{"const":"COMMENT","title":"Comments"}]}`},
		{name: "post", schema: urnSchema("Post", "One of the member's posts: share:ID or ugcPost:ID, or its URN. Empty: all the member's posts.", "urn:li:share:6844785523593134080", postKinds...)},
		{name: "aggregation", schema: `{"type":"string","title":"Aggregation","description":"TOTAL: one count; DAILY: one count a day of the range (needs start).","default":"TOTAL","examples":["TOTAL"],
			"oneOf":[{"const":"TOTAL","title":"Total"},{"const":"DAILY","title":"Day by day"}]}`},
		startField, endField},
		answered("Impressions of the member's posts, day by day", `{"queryType":"IMPRESSION","aggregation":"DAILY","start":"2026-11-01","end":"2026-11-02"}`, 200, nil,
			`{"paging":{"start":0,"count":10,"links":[]},"elements":[{"count":312,"metricType":{"com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1":"IMPRESSION"},"dateRange":{"start":{"day":1,"month":11,"year":2026},"end":{"day":2,"month":11,"year":2026}}},{"count":287,"metricType":{"com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1":"IMPRESSION"},"dateRange":{"start":{"day":2,"month":11,"year":2026},"end":{"day":3,"month":11,"year":2026}}}]}`),
		answered("Reactions to one post, in total", `{"queryType":"REACTION","post":"share:6844785523593134080"}`, 200, nil,
			`{"paging":{"start":0,"count":10,"links":[]},"elements":[{"count":57,"metricType":{"com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1":"REACTION"}}]}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			QueryType   string `json:"queryType"`
			Post        string `json:"post"`
			Aggregation string `json:"aggregation"`
			rangeParams
		}](raw)
		if err != nil {
			return nil, err
		}
		p.Granularity = "" // the member's analytics are by day or in total
		r, err := p.timeRange(s.Now, rangeLimits{})
		if err != nil {
			return nil, err
		}
		aggregation := p.Aggregation
		if aggregation == "" {
			aggregation = "TOTAL"
		}
		if aggregation == "DAILY" && r == nil {
			return nil, plugin.InvalidField("start", "is required with aggregation DAILY: give the first day of the range")
		}
		query := Record{{"q", "me"}}
		if p.Post != "" {
			post, err := urnParam("post", p.Post, postKinds...)
			if err != nil {
				return nil, err
			}
			query = Record{{"q", "entity"}, {"entity", post}}
		}
		query = append(query, Field{"queryType", p.QueryType}, Field{"aggregation", aggregation})
		if r != nil {
			query = append(query, Field{"dateRange", Record{{"start", dateRecord(r.start)}, {"end", dateRecord(r.end)}}})
		}
		return restliGet(s, "/rest/memberCreatorPostAnalytics", query)
	},
	Rows: elementRows(func(e object) []row {
		var r row
		if dr, ok := e["dateRange"].(object); ok {
			if d := dayOf(dr["start"]); d != "" {
				r = append(r, Field{"date", d})
			}
		}
		return []row{append(r, Field{"count", e["count"]})}
	}),
}

// dateRecord is a day as LinkedIn's Date record: (day:1,month:11,year:2026).
func dateRecord(t time.Time) Record {
	y, m, d := t.Date()
	return Record{{"day", d}, {"month", int(m)}, {"year", y}}
}

// dayOf reads LinkedIn's Date record, {"day","month","year"}, as a date.
func dayOf(v any) string {
	m, ok := v.(object)
	if !ok {
		return ""
	}
	n := func(k string) int64 {
		num, _ := m[k].(json.Number)
		i, _ := num.Int64()
		return i
	}
	if _, ok := m["year"].(json.Number); !ok {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", n("year"), n("month"), n("day"))
}
