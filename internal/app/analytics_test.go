package app_test

import (
	"regexp"
	"strings"
	"testing"

	"pluginserver/plugin/linkedin/sandbox"
)

// TestAnalyticsEndToEnd: the analytics commands through the real server
// and the emulator: the envelope carries LinkedIn's answer in output and
// the rows a table or chart binds; bad ranges and pages the member may not
// read are refused before anything is sent; the page picker lists the
// pages whose statistics the member may read.
func TestAnalyticsEndToEnd(t *testing.T) {
	h := newHarness(t)
	id := h.pageDatasource(`["r_basicprofile","w_member_social","w_organization_social","r_organization_social","rw_organization_admin","r_member_social","r_member_postAnalytics"]`)
	page := "organization:" + sandbox.Pages[0].ID
	date := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

	rows := func(command, params string) []map[string]any {
		t.Helper()
		status, env := h.execute(id, command, params)
		if status != 200 || env["error"] != nil || env["output"] == nil {
			t.Fatalf("%s %s: %d %v", command, params, status, env)
		}
		list, ok := env["rows"].([]any)
		if !ok {
			t.Fatalf("%s: no rows in %v", command, env)
		}
		var out []map[string]any
		for _, r := range list {
			out = append(out, r.(map[string]any))
		}
		return out
	}

	if got := rows("getFollowerCount", `{"organization":"`+page+`"}`); len(got) != 1 || got[0]["followers"] == nil {
		t.Errorf("getFollowerCount rows: %v", got)
	}
	daily := rows("getFollowerStatistics", `{"organization":"`+page+`","start":"last 30 days","granularity":"DAY"}`)
	if len(daily) != 30 {
		t.Errorf("30 days of follower gains: %d rows", len(daily))
	}
	// The same days as a chart's series, bound as they are.
	_, env := h.execute(id, "getFollowerStatistics", `{"organization":"`+page+`","start":"last 30 days","granularity":"DAY"}`)
	series, _ := env["series"].(map[string]any)
	gains, _ := series["followerGains"].([]any)
	if len(gains) != 30 {
		t.Fatalf("follower gains series: %v", env["series"])
	}
	if first := gains[0].(map[string]any); first["x"] != daily[0]["date"] || first["y"] != daily[0]["followerGains"] {
		t.Errorf("the series' first point %v, the rows' first day %v", first, daily[0])
	}
	for _, r := range daily {
		if s, _ := r["date"].(string); !date.MatchString(s) || r["followerGains"] == nil || r["organicFollowerGain"] == nil {
			t.Fatalf("follower gains row %v", r)
		}
	}
	if monthly := rows("getFollowerStatistics", `{"organization":"`+page+`","start":"last 3 months","granularity":"MONTH"}`); len(monthly) != 3 {
		t.Errorf("3 months of follower gains: %v", monthly)
	}
	if lifetime := rows("getFollowerStatistics", `{"organization":"`+page+`"}`); len(lifetime) == 0 || lifetime[0]["facet"] == nil || lifetime[0]["value"] == nil {
		t.Errorf("lifetime follower rows: %v", lifetime)
	}
	if shares := rows("getShareStatistics", `{"organization":"`+page+`","start":"last 7 days"}`); len(shares) != 7 || shares[0]["impressionCount"] == nil {
		t.Errorf("7 days of share statistics: %v", shares)
	}
	if views := rows("getPageStatistics", `{"organization":"`+page+`","start":"last 14 days"}`); len(views) != 14 || views[0]["allPageViews"] == nil {
		t.Errorf("14 days of page views: %v", views)
	}
	if mine := rows("getMemberPostAnalytics", `{"queryType":"IMPRESSION","aggregation":"DAILY","start":"last 7 days"}`); len(mine) != 7 || mine[0]["count"] == nil {
		t.Errorf("7 days of the member's impressions: %v", mine)
	}

	// A post with a reaction and a comment: its social metadata and its
	// reactions, as rows.
	post := h.mustExecute(id, "sharePost", `{"author":"`+page+`","commentary":"Numbers"}`)["id"].(string)
	h.mustExecute(id, "addReaction", `{"post":"`+post+`","actor":"`+page+`","reactionType":"PRAISE"}`)
	h.mustExecute(id, "addComment", `{"post":"`+post+`","actor":"`+page+`","text":"First"}`)
	if got := rows("getSocialMetadata", `{"post":"`+post+`"}`); len(got) != 1 || got[0]["reactionType"] != "PRAISE" || got[0]["count"] != 1.0 {
		t.Errorf("social metadata rows: %v", got)
	}
	if got := rows("listReactions", `{"post":"`+post+`"}`); len(got) != 1 || got[0]["actor"] != "urn:li:organization:"+sandbox.Pages[0].ID || got[0]["reactionType"] != "PRAISE" {
		t.Errorf("reactions rows: %v", got)
	}

	// Refusals before sending, naming the field.
	for _, tt := range []struct{ command, params, field string }{
		{"getFollowerStatistics", `{"organization":"` + page + `","start":"2026-11-30","end":"2026-11-01"}`, "end"},
		{"getPageStatistics", `{"organization":"` + page + `","start":"2999-01-01"}`, "start"},
		{"getShareStatistics", `{"organization":"` + page + `","start":"last 13 months"}`, "start"},
		{"getFollowerStatistics", `{"organization":"organization:` + sandbox.Pages[1].ID + `"}`, "organization"},
	} {
		status, env := h.execute(id, tt.command, tt.params)
		e, _ := env["error"].(map[string]any)
		fields, _ := e["fields"].([]any)
		if status != 400 || e["code"] != "invalid_input" || len(fields) != 1 || fields[0].(map[string]any)["field"] != tt.field || env["rows"] != nil {
			t.Errorf("%s %s: %d %v, want invalid_input on %s", tt.command, tt.params, status, env, tt.field)
		}
	}

	// The page picker lists the pages the member administers.
	_, options := h.do("GET", "/v1/datasources/"+id+"/options/getFollowerStatistics/organization", builder, "")
	list, _ := options["options"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["value"] != "urn:li:organization:"+sandbox.Pages[0].ID {
		t.Errorf("analytics page picker: %v", options)
	}

	// A dry run shows the request, with no rows.
	status, env := h.do("POST", "/v1/datasources/"+id+"/execute?dryRun=true", builder, `{"command":"getFollowerStatistics","params":{"organization":"`+page+`","start":"2026-11-01","end":"2026-11-01"}}`)
	if out, _ := env["output"].(map[string]any); status != 200 || env["rows"] != nil || !strings.Contains(out["url"].(string), "timeIntervals=(timeRange:(start:1793491200000,end:1793577600000),timeGranularityType:DAY)") {
		t.Errorf("dry run: %d %v", status, env)
	}

	// Without r_member_postAnalytics, the member's analytics are refused
	// saying LinkedIn grants it to approved apps.
	other := h.pageDatasource(pageScopes)
	status, env = h.execute(other, "getMemberPostAnalytics", `{"queryType":"IMPRESSION"}`)
	if e, _ := env["error"].(map[string]any); status != 409 || !strings.Contains(e["message"].(string), "r_member_postAnalytics") || !strings.Contains(e["message"].(string), "approval") {
		t.Errorf("getMemberPostAnalytics without its permission: %d %v", status, env)
	}
}
