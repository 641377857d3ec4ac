package linkedin

import (
	"context"
	"encoding/json"

	"pluginserver/plugin"
)

var getFollowerStatistics = &plugin.Command{
	ID:    "getFollowerStatistics",
	Title: "Get Follower Statistics",
	Description: "A page's followers: lifetime, broken down by seniority, function, industry, country, region, staff count and association (no start), " +
		"or the followers gained over a time range, by DAY or MONTH. rows: one per day or month ({date, organicFollowerGain, paidFollowerGain, followerGains}) " +
		"or per breakdown value ({facet, value, organicFollowerCount, paidFollowerCount}).",
	Endpoints: []string{"GET /rest/organizationalEntityFollowerStatistics?q=organizationalEntity"},
	Form: form([]field{organizationField, startField, endField, granularityField},
		answered("Followers gained each day of November", `{"organization":"organization:2414183","start":"2026-11-01","end":"2026-11-02","granularity":"DAY"}`, 200, nil,
			`{"paging":{"start":0,"count":10,"links":[]},"elements":[{"timeRange":{"start":1793491200000,"end":1793577600000},"followerGains":{"organicFollowerGain":12,"paidFollowerGain":0},"organizationalEntity":"urn:li:organization:2414183"},{"timeRange":{"start":1793577600000,"end":1793664000000},"followerGains":{"organicFollowerGain":9,"paidFollowerGain":1},"organizationalEntity":"urn:li:organization:2414183"}]}`),
		answered("Lifetime followers by seniority and country", `{"organization":"organization:2414183"}`, 200, nil,
			`{"paging":{"start":0,"count":10,"links":[]},"elements":[{"followerCountsBySeniority":[{"followerCounts":{"organicFollowerCount":1200,"paidFollowerCount":30},"seniority":"urn:li:seniority:3"}],"followerCountsByGeoCountry":[{"followerCounts":{"organicFollowerCount":900,"paidFollowerCount":12},"geo":"urn:li:geo:103644278"}],"organizationalEntity":"urn:li:organization:2414183"}]}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		return statisticsCall(raw, s, "/rest/organizationalEntityFollowerStatistics", "organizationalEntity", rangeLimits{}, nil)
	},
	Rows: elementRows(func(e object) []row {
		if date := rangeDate(e); date != "" {
			gains, _ := e["followerGains"].(object)
			r := metrics(row{{"date", date}}, gains)
			return []row{append(r, Field{"followerGains", sum(gains["organicFollowerGain"], gains["paidFollowerGain"])})}
		}
		return facetRows(e, "followerCountsBy", "followerCounts", func(c object) row { return metrics(nil, c) })
	}),
}

// sum adds LinkedIn's integer counts, a missing one counting 0.
func sum(values ...any) int64 {
	var total int64
	for _, v := range values {
		if n, ok := v.(json.Number); ok {
			i, _ := n.Int64()
			total += i
		}
	}
	return total
}

// statisticsCall is a page statistics finder: q=finder, the page, and
// the time range when one is asked for, with extra params (a share
// statistics call's posts) after them.
func statisticsCall(raw json.RawMessage, s plugin.Settings, path, finder string, limits rangeLimits, extra func(json.RawMessage) (Record, error)) (*plugin.Call, error) {
	p, err := decode[struct {
		Organization string `json:"organization"`
		rangeParams
	}](raw)
	if err != nil {
		return nil, err
	}
	org, err := organizationParam(p.Organization)
	if err != nil {
		return nil, err
	}
	r, err := p.timeRange(s.Now, limits)
	if err != nil {
		return nil, err
	}
	query := Record{{"q", finder}, {finder, org}}
	if r != nil {
		query = append(query, Field{"timeIntervals", r.intervals()})
	}
	if extra != nil {
		more, err := extra(raw)
		if err != nil {
			return nil, err
		}
		query = append(query, more...)
	}
	return restliGet(s, path, query)
}
