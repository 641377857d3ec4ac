package linkedin_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// fixedNow is the day the analytics tests (and the examples' ranges, in
// the golden files and docs) are read against.
var fixedNow = time.Date(2026, 12, 7, 15, 4, 5, 0, time.UTC)

func build(t *testing.T, id, params string) (*plugin.Call, error) {
	t.Helper()
	cmd, ok := linkedin.Plugin().Command(id)
	if !ok {
		t.Fatalf("no command %s", id)
	}
	return cmd.Build(context.Background(), json.RawMessage(params), testSettings())
}

// TestTimeRanges: ranges as people write them become LinkedIn's
// timeIntervals in epoch milliseconds (UTC days, end exclusive), and bad
// ranges are refused naming the field, before anything is sent.
func TestTimeRanges(t *testing.T) {
	const org = `"organization":"organization:2414183"`
	day := func(s string) string {
		d, _ := time.Parse(time.DateOnly, s)
		return strconv.FormatInt(d.UnixMilli(), 10)
	}
	intervals := func(from, to, g string) string {
		return "timeIntervals=(timeRange:(start:" + day(from) + ",end:" + day(to) + "),timeGranularityType:" + g + ")"
	}
	for _, tt := range []struct {
		name, params string
		// want is in the query; field and message name the refusal.
		want, field, message string
	}{
		{"lifetime", `{` + org + `}`, "q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183", "", ""},
		{"lifetime ignores a default granularity", `{` + org + `,"granularity":"DAY"}`, "organizationalEntity=urn%3Ali%3Aorganization%3A2414183", "", ""},
		{"dates, end included", `{` + org + `,"start":"2026-11-01","end":"2026-11-30"}`, intervals("2026-11-01", "2026-12-01", "DAY"), "", ""},
		{"months", `{` + org + `,"start":"2026-06-01","end":"2026-11-30","granularity":"MONTH"}`, intervals("2026-06-01", "2026-12-01", "MONTH"), "", ""},
		{"last 30 days ends yesterday", `{` + org + `,"start":"last 30 days"}`, intervals("2026-11-07", "2026-12-07", "DAY"), "", ""},
		{"last 2 weeks", `{` + org + `,"start":"Last 2 Weeks"}`, intervals("2026-11-23", "2026-12-07", "DAY"), "", ""},
		{"last 3 months", `{` + org + `,"start":"last 3 months","granularity":"MONTH"}`, intervals("2026-09-07", "2026-12-07", "MONTH"), "", ""},
		{"today", `{` + org + `,"start":"today"}`, intervals("2026-12-07", "2026-12-08", "DAY"), "", ""},
		{"yesterday to today", `{` + org + `,"start":"yesterday","end":"today"}`, intervals("2026-12-06", "2026-12-08", "DAY"), "", ""},
		{"an RFC 3339 time is its UTC day", `{` + org + `,"start":"2026-11-01T23:30:00-02:00","end":"2026-11-02"}`, intervals("2026-11-02", "2026-11-03", "DAY"), "", ""},
		{"one day", `{` + org + `,"start":"2026-11-05","end":"2026-11-05"}`, intervals("2026-11-05", "2026-11-06", "DAY"), "", ""},

		{"end before start", `{` + org + `,"start":"2026-11-30","end":"2026-11-01"}`, "", "end", "before start"},
		{"future start", `{` + org + `,"start":"2026-12-08"}`, "", "start", "in the future"},
		{"future end", `{` + org + `,"start":"2026-12-01","end":"2027-01-01"}`, "", "end", "in the future"},
		{"end without start", `{` + org + `,"end":"2026-11-30"}`, "", "start", "required with end"},
		{"not a date", `{` + org + `,"start":"November"}`, "", "start", "must be a date"},
		{"bad calendar date", `{` + org + `,"start":"2026-02-30"}`, "", "start", "must be a date"},
		{"last as end", `{` + org + `,"start":"2026-11-01","end":"last 3 days"}`, "", "end", "names where a range starts"},
		{"last 0 days", `{` + org + `,"start":"last 0 days"}`, "", "start", "empty range"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := build(t, "getFollowerStatistics", tt.params)
			checkRange(t, c, err, tt.want, tt.field, tt.message)
		})
	}
	// Share statistics: LinkedIn keeps a rolling 12 months.
	for _, tt := range []struct {
		name, params, want, field, message string
	}{
		{"12 months back", `{` + org + `,"start":"2025-12-07","end":"2025-12-31"}`, intervals("2025-12-07", "2026-01-01", "DAY"), "", ""},
		{"older than 12 months", `{` + org + `,"start":"2025-12-06"}`, "", "start", "rolling 12 months"},
		{"last 13 months", `{` + org + `,"start":"last 13 months"}`, "", "start", "start on or after 2025-12-07"},
	} {
		t.Run("share "+tt.name, func(t *testing.T) {
			c, err := build(t, "getShareStatistics", tt.params)
			checkRange(t, c, err, tt.want, tt.field, tt.message)
		})
	}
}

func checkRange(t *testing.T, c *plugin.Call, err error, want, field, message string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		if !strings.Contains(c.URL.RawQuery, want) {
			t.Fatalf("query %s\nwant it to hold %s", c.URL.RawQuery, want)
		}
		return
	}
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Code != plugin.InvalidInput || len(pe.Fields) != 1 || pe.Fields[0].Field != field || !strings.Contains(pe.Message, message) {
		t.Fatalf("got %v (%#v), want invalid_input on %s saying %q", err, pe, field, message)
	}
	if !strings.HasPrefix(pe.Message, field+": ") {
		t.Errorf("message %q does not start with the field", pe.Message)
	}
}

// TestAnalyticsRequests: each command's params become the request LinkedIn
// documents, its Rest.li values encoded once.
func TestAnalyticsRequests(t *testing.T) {
	for _, tt := range []struct {
		id, params, path, query string
	}{
		{"getFollowerCount", `{"organization":"urn:li:organization:2414183"}`, "/rest/networkSizes/urn%3Ali%3Aorganization%3A2414183", "edgeType=COMPANY_FOLLOWED_BY_MEMBER"},
		{"getShareStatistics", `{"organization":"organization:2414183","posts":["share:1","urn:li:ugcPost:2","share:3"]}`, "/rest/organizationalEntityShareStatistics",
			"q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&shares=List(urn%3Ali%3Ashare%3A1,urn%3Ali%3Ashare%3A3)&ugcPosts=List(urn%3Ali%3AugcPost%3A2)"},
		{"getPageStatistics", `{"organization":"organization:2414183","start":"2026-11-01","end":"2026-11-01"}`, "/rest/organizationPageStatistics",
			"q=organization&organization=urn%3Ali%3Aorganization%3A2414183&timeIntervals=(timeRange:(start:1793491200000,end:1793577600000),timeGranularityType:DAY)"},
		{"getSocialMetadata", `{"post":"ugcPost:7"}`, "/rest/socialMetadata/urn%3Ali%3AugcPost%3A7", ""},
		{"getMemberPostAnalytics", `{"queryType":"IMPRESSION"}`, "/rest/memberCreatorPostAnalytics", "q=me&queryType=IMPRESSION&aggregation=TOTAL"},
		{"getMemberPostAnalytics", `{"queryType":"REACTION","post":"share:9","aggregation":"DAILY","start":"2026-11-30","end":"2026-12-01"}`, "/rest/memberCreatorPostAnalytics",
			"q=entity&entity=urn%3Ali%3Ashare%3A9&queryType=REACTION&aggregation=DAILY&dateRange=(start:(day:30,month:11,year:2026),end:(day:2,month:12,year:2026))"},
		{"listReactions", `{"post":"share:1","sort":"CHRONOLOGICAL","count":5,"start":10}`, "/rest/reactions/(entity:urn%3Ali%3Ashare%3A1)",
			"q=entity&sort=(value:CHRONOLOGICAL)&count=5&start=10"},
	} {
		c, err := build(t, tt.id, tt.params)
		if err != nil {
			t.Errorf("%s %s: %v", tt.id, tt.params, err)
			continue
		}
		if got := c.URL.EscapedPath(); got != tt.path {
			t.Errorf("%s: path %s, want %s", tt.id, got, tt.path)
		}
		if c.URL.RawQuery != tt.query {
			t.Errorf("%s: query\n got %s\nwant %s", tt.id, c.URL.RawQuery, tt.query)
		}
	}
	if _, err := build(t, "getMemberPostAnalytics", `{"queryType":"IMPRESSION","aggregation":"DAILY"}`); err == nil || !strings.Contains(err.Error(), "start") {
		t.Errorf("DAILY without a range: %v, want start refused", err)
	}
}

// TestAnalyticsNeedTheirPermission: without the permission LinkedIn names,
// the call is refused before it is sent, saying which and that LinkedIn
// grants it to approved apps.
func TestAnalyticsNeedTheirPermission(t *testing.T) {
	s := testSettings()
	s.Scopes = []string{"r_basicprofile", "w_organization_social", "r_organization_admin"}
	for id, params := range map[string]string{
		"getFollowerStatistics":  `{"organization":"organization:2414183"}`,
		"getMemberPostAnalytics": `{"queryType":"IMPRESSION"}`,
	} {
		cmd, _ := linkedin.Plugin().Command(id)
		_, err := cmd.Build(context.Background(), json.RawMessage(params), s)
		var pe *plugin.Error
		if !errors.As(err, &pe) || pe.Code != plugin.AuthorizationRequired || !strings.Contains(pe.Message, "approval") {
			t.Errorf("%s: %v, want authorization_required naming an approval-gated permission", id, err)
		}
	}
}

// TestRows: each analytics command's documented answer becomes flat rows,
// one per day, month, post, reaction or breakdown value.
func TestRows(t *testing.T) {
	want := map[string][]string{
		"getFollowerCount":       {`[{"followers":219145}]`},
		"getFollowerStatistics":  {`[{"date":"2026-11-01","organicFollowerGain":12,"paidFollowerGain":0,"followerGains":12},{"date":"2026-11-02","organicFollowerGain":9,"paidFollowerGain":1,"followerGains":10}]`, `[{"facet":"geoCountry","value":"urn:li:geo:103644278","organicFollowerCount":900,"paidFollowerCount":12},{"facet":"seniority","value":"urn:li:seniority:3","organicFollowerCount":1200,"paidFollowerCount":30}]`},
		"getShareStatistics":     {`[{"date":"2026-12-06","clickCount":9,"commentCount":1,"engagement":0.0421,"impressionCount":522,"likeCount":12,"shareCount":2,"uniqueImpressionsCount":310}]`, `[{"post":"urn:li:share:6844785523593134080","clickCount":41,"commentCount":5,"engagement":0.0388,"impressionCount":2811,"likeCount":57,"shareCount":6,"uniqueImpressionsCount":1790}]`},
		"getPageStatistics":      {`[{"date":"2026-09-01","aboutPageViews":95,"allDesktopPageViews":610,"allMobilePageViews":840,"allPageViews":1450,"careersPageViews":130,"jobsPageViews":95,"overviewPageViews":920,"peoplePageViews":210},{"date":"2026-10-01","aboutPageViews":109,"allDesktopPageViews":700,"allMobilePageViews":910,"allPageViews":1610,"careersPageViews":150,"jobsPageViews":101,"overviewPageViews":1010,"peoplePageViews":240}]`, `[{"facet":"total","allPageViews":48211,"overviewPageViews":30102},{"facet":"seniority","value":"urn:li:seniority:3","allPageViews":9120,"overviewPageViews":6001}]`},
		"getSocialMetadata":      {`[{"reactionType":"EMPATHY","count":1},{"reactionType":"LIKE","count":12},{"reactionType":"PRAISE","count":3}]`},
		"getMemberPostAnalytics": {`[{"date":"2026-11-01","count":312},{"date":"2026-11-02","count":287}]`, `[{"count":57}]`},
		"listReactions":          {`[{"actor":"urn:li:person:782bbtaQ","reactionType":"PRAISE","createdAt":"2026-11-02T00:00:00Z"},{"actor":"urn:li:organization:2414183","reactionType":"LIKE","createdAt":"2026-11-01T00:00:00Z"}]`},
	}
	for _, cmd := range linkedin.Plugin().Commands {
		if cmd.Rows == nil {
			if _, ok := want[cmd.ID]; ok {
				t.Errorf("%s has no Rows", cmd.ID)
			}
			continue
		}
		for i, ex := range cmd.Form.Examples {
			if i >= len(want[cmd.ID]) {
				t.Errorf("%s: example %q has no expected rows", cmd.ID, ex.Title)
				continue
			}
			if got := string(cmd.Rows(ex.Answer.Output)); got != want[cmd.ID][i] {
				t.Errorf("%s, %q:\n got %s\nwant %s", cmd.ID, ex.Title, got, want[cmd.ID][i])
			}
		}
		if got := string(cmd.Rows(json.RawMessage(`{"elements":[]}`))); got != "[]" && cmd.ID != "getFollowerCount" {
			t.Errorf("%s: no elements give %s, want []", cmd.ID, got)
		}
		if got := cmd.Rows(json.RawMessage(`"not an object"`)); got != nil {
			t.Errorf("%s: an unreadable answer gives %s, want none", cmd.ID, got)
		}
	}
}
