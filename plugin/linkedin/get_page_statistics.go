package linkedin

import (
	"context"
	"encoding/json"

	"pluginserver/plugin"
)

var getPageStatistics = &plugin.Command{
	ID:    "getPageStatistics",
	Title: "Get Page Statistics",
	Description: "Views of a page by section (overview, about, people, jobs, careers, life at, …, desktop and mobile): lifetime, also by seniority, function, industry, country, region and staff count (no start), " +
		"or over a time range by DAY or MONTH. rows: one per day or month ({date, allPageViews, overviewPageViews, …}) or per breakdown value ({facet, value, allPageViews, …}).",
	Endpoints: []string{"GET /rest/organizationPageStatistics?q=organization"},
	Form: form([]field{organizationField, startField, endField, granularityField},
		answered("Page views each month", `{"organization":"organization:2414183","start":"2026-09-01","end":"2026-10-31","granularity":"MONTH"}`, 200, nil,
			`{"paging":{"start":0,"count":10,"links":[]},"elements":[{"organization":"urn:li:organization:2414183","timeRange":{"start":1788220800000,"end":1790812800000},"totalPageStatistics":{"views":{"allPageViews":{"pageViews":1450},"allDesktopPageViews":{"pageViews":610},"allMobilePageViews":{"pageViews":840},"overviewPageViews":{"pageViews":920},"careersPageViews":{"pageViews":130},"jobsPageViews":{"pageViews":95},"peoplePageViews":{"pageViews":210},"aboutPageViews":{"pageViews":95}}}},{"organization":"urn:li:organization:2414183","timeRange":{"start":1790812800000,"end":1793491200000},"totalPageStatistics":{"views":{"allPageViews":{"pageViews":1610},"allDesktopPageViews":{"pageViews":700},"allMobilePageViews":{"pageViews":910},"overviewPageViews":{"pageViews":1010},"careersPageViews":{"pageViews":150},"jobsPageViews":{"pageViews":101},"peoplePageViews":{"pageViews":240},"aboutPageViews":{"pageViews":109}}}}]}`),
		answered("Lifetime views by seniority", `{"organization":"organization:2414183"}`, 200, nil,
			`{"paging":{"start":0,"count":10,"links":[]},"elements":[{"organization":"urn:li:organization:2414183","totalPageStatistics":{"views":{"allPageViews":{"pageViews":48211},"overviewPageViews":{"pageViews":30102}}},"pageStatisticsBySeniority":[{"seniority":"urn:li:seniority:3","pageStatistics":{"views":{"allPageViews":{"pageViews":9120},"overviewPageViews":{"pageViews":6001}}}}]}]}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		return statisticsCall(raw, s, "/rest/organizationPageStatistics", "organization", rangeLimits{}, nil)
	},
	Rows: elementRows(func(e object) []row {
		total, _ := e["totalPageStatistics"].(object)
		if date := rangeDate(e); date != "" {
			return []row{pageViews(row{{"date", date}}, total)}
		}
		return append([]row{pageViews(row{{"facet", "total"}}, total)},
			facetRows(e, "pageStatisticsBy", "pageStatistics", func(c object) row { return pageViews(nil, c) })...)
	}),
}

// pageViews adds a page statistics object's views to a row, one field a
// section: {"views":{"allPageViews":{"pageViews":12}}} is allPageViews 12.
func pageViews(r row, stats object) row {
	views, _ := stats["views"].(object)
	flat := object{}
	for section, v := range views {
		if m, ok := v.(object); ok {
			if n, ok := m["pageViews"]; ok {
				flat[section] = n
			}
		}
	}
	return metrics(r, flat)
}
