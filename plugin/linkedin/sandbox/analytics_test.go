package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"pluginserver/plugin/linkedin/sandbox"
)

// TestAnalyticsLikeLinkedIn: the statistics routes answer with
// deterministic numbers for any range (a month is the sum of its days),
// 403 ACCESS_DENIED without rw_organization_admin or for a page the member
// is not an ADMINISTRATOR of, and 400 for bad ranges.
func TestAnalyticsLikeLinkedIn(t *testing.T) {
	srv, _ := start(t, sandbox.Options{})
	c := newRest(t, srv)
	admin := tokenFor(t, srv, "r_basicprofile rw_organization_admin")
	social := tokenFor(t, srv, "r_basicprofile r_organization_social")
	analyst := tokenFor(t, srv, "r_basicprofile r_organization_admin")
	member := tokenFor(t, srv, "r_basicprofile r_member_postAnalytics")
	ms := func(day string) int64 {
		d, _ := time.Parse(time.DateOnly, day)
		return d.UnixMilli()
	}
	org := "urn%3Ali%3Aorganization%3A" + sandbox.Pages[0].ID
	follower := func(from, to, g string) string {
		return fmt.Sprintf("/rest/organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=%s&timeIntervals=(timeRange:(start:%d,end:%d),timeGranularityType:%s)", org, ms(from), ms(to), g)
	}
	gains := func(a answer) (total int, n int) {
		var body struct {
			Elements []struct {
				FollowerGains struct{ OrganicFollowerGain, PaidFollowerGain int }
			}
		}
		if err := json.Unmarshal(a.body, &body); err != nil || a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		for _, e := range body.Elements {
			total += e.FollowerGains.OrganicFollowerGain + e.FollowerGains.PaidFollowerGain
		}
		return total, len(body.Elements)
	}
	days, nDays := gains(c.do("GET", follower("2026-10-01", "2026-11-01", "DAY"), admin, nil, nil))
	month, nMonths := gains(c.do("GET", follower("2026-10-01", "2026-11-01", "MONTH"), admin, nil, nil))
	again, _ := gains(c.do("GET", follower("2026-10-01", "2026-11-01", "DAY"), admin, nil, nil))
	if nDays != 31 || nMonths != 1 || days != month || days != again || days == 0 {
		t.Errorf("31 days gain %d in %d rows, October %d in %d, again %d", days, nDays, month, nMonths, again)
	}

	for _, tt := range []struct {
		name, path, token string
		status            int
		code, message     string
	}{
		{"r_organization_social reads no statistics", follower("2026-10-01", "2026-11-01", "DAY"), social, 403, "ACCESS_DENIED", "Not enough permissions"},
		{"r_organization_admin reads no statistics", "/rest/organizationPageStatistics?q=organization&organization=" + org, analyst, 403, "ACCESS_DENIED", "Not enough permissions"},
		{"a content administrator's page", "/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A" + sandbox.Pages[1].ID, admin, 403, "ACCESS_DENIED", "ADMINISTRATOR"},
		{"end before start", follower("2026-11-01", "2026-10-01", "DAY"), admin, 400, "BAD_REQUEST", "end must be after"},
		{"future start", follower("2026-12-01", "2026-12-02", "DAY"), admin, 400, "BAD_REQUEST", "in the future"},
		{"share statistics over 12 months ago", fmt.Sprintf("/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=%s&timeIntervals=(timeRange:(start:%d,end:%d),timeGranularityType:DAY)", org, ms("2025-10-01"), ms("2025-10-02")), admin, 400, "BAD_REQUEST", "12 months"},
		{"malformed intervals", "/rest/organizationPageStatistics?q=organization&organization=" + org + "&timeIntervals=(timeRange:(start:x))", admin, 400, "BAD_REQUEST", "timeIntervals"},
		{"member post analytics need their permission", "/rest/memberCreatorPostAnalytics?q=me&queryType=IMPRESSION&aggregation=TOTAL", admin, 403, "ACCESS_DENIED", "Not enough permissions"},
		{"DAILY needs a date range", "/rest/memberCreatorPostAnalytics?q=me&queryType=IMPRESSION&aggregation=DAILY", member, 400, "BAD_REQUEST", "dateRange"},
		{"follower count of an unknown page", "/rest/networkSizes/urn%3Ali%3Aorganization%3A999?edgeType=COMPANY_FOLLOWED_BY_MEMBER", admin, 404, "RESOURCE_NOT_FOUND", "Not Found"},
	} {
		a := c.do("GET", tt.path, tt.token, nil, nil)
		if a.status != tt.status || !strings.Contains(string(a.body), `"code":"`+tt.code+`"`) || !strings.Contains(string(a.body), tt.message) {
			t.Errorf("%s: %d %s, want %d %s saying %q", tt.name, a.status, a.body, tt.status, tt.code, tt.message)
		}
	}

	for _, path := range []string{
		"/rest/networkSizes/" + org + "?edgeType=COMPANY_FOLLOWED_BY_MEMBER",
		"/rest/organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=" + org,
		"/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=" + org + "&shares=List(urn%3Ali%3Ashare%3A1)&ugcPosts=List(urn%3Ali%3AugcPost%3A2)",
		"/rest/organizationPageStatistics?q=organization&organization=" + org + fmt.Sprintf("&timeIntervals=(timeRange:(start:%d,end:%d),timeGranularityType:MONTH)", ms("2026-08-01"), ms("2026-11-01")),
	} {
		if a := c.do("GET", path, admin, nil, nil); a.status != http.StatusOK {
			t.Errorf("%s: %d %s", path, a.status, a.body)
		}
	}
	a := c.do("GET", "/rest/memberCreatorPostAnalytics?q=entity&entity=urn%3Ali%3Ashare%3A1&queryType=REACTION&aggregation=DAILY&dateRange=(start:(day:1,month:11,year:2026),end:(day:8,month:11,year:2026))", member, nil, nil)
	var daily struct{ Elements []struct{ Count int } }
	if json.Unmarshal(a.body, &daily); a.status != 200 || len(daily.Elements) != 7 {
		t.Errorf("7 days of reactions: %d %s", a.status, a.body)
	}
}
