package sandbox

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"pluginserver/plugin/linkedin/facts"
)

// The analytics routes: a page's follower count and its follower, share
// and page statistics, a post's social metadata, the member's own post
// analytics and the reactions on a post. The numbers are made up but
// deterministic: the same page, day and metric always give the same count,
// whatever range asks for it, so sums over days agree with sums over
// months.

var organizationURN = regexp.MustCompile(`^urn:li:organization:([0-9]+)$`)

// count is a made-up, deterministic count in [lo, lo+span) for what
// names (a page, a metric and a day).
func count(lo, span int, what ...any) int {
	h := fnv.New32a()
	fmt.Fprint(h, what...)
	return lo + int(h.Sum32()%uint32(span))
}

// restliQuery reads a query whose values are Rest.li 2.0 encoded: each
// name once, its value as sent (records and lists still encoded).
func restliQuery(raw string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(part, "=")
		if name, err := url.QueryUnescape(k); err == nil && name != "" {
			out[name] = v
		}
	}
	return out
}

// parseRestli reads a Rest.li 2.0 URL-encoded value: a record as
// map[string]any, a List as []any, anything else a string, percent-decoded.
func parseRestli(s string) (any, error) {
	v, rest, err := restliValue(s)
	if err == nil && rest != "" {
		err = fmt.Errorf("unexpected %q", rest)
	}
	return v, err
}

func restliValue(s string) (any, string, error) {
	switch {
	case strings.HasPrefix(s, "List("):
		s = s[len("List("):]
		list := []any{}
		for !strings.HasPrefix(s, ")") {
			v, rest, err := restliValue(s)
			if err != nil {
				return nil, "", err
			}
			list = append(list, v)
			if s = strings.TrimPrefix(rest, ","); s == rest && !strings.HasPrefix(rest, ")") {
				return nil, "", errors.New("a List's items are separated by commas")
			}
		}
		return list, s[1:], nil
	case strings.HasPrefix(s, "("):
		s = s[1:]
		record := map[string]any{}
		for !strings.HasPrefix(s, ")") {
			key, rest, found := strings.Cut(s, ":")
			if !found || strings.ContainsAny(key, "(),") {
				return nil, "", errors.New("a record's fields are name:value")
			}
			name, err := restliString(key)
			if err != nil {
				return nil, "", err
			}
			v, rest, err := restliValue(rest)
			if err != nil {
				return nil, "", err
			}
			record[name] = v
			if s = strings.TrimPrefix(rest, ","); s == rest && !strings.HasPrefix(rest, ")") {
				return nil, "", errors.New("a record's fields are separated by commas")
			}
		}
		return record, s[1:], nil
	}
	end := strings.IndexAny(s, ",():")
	if end < 0 {
		end = len(s)
	}
	if end < len(s) && s[end] == ':' || end < len(s) && s[end] == '(' {
		return nil, "", fmt.Errorf("unescaped %q in a value", s[end])
	}
	v, err := restliString(s[:end])
	return v, s[end:], err
}

func restliString(s string) (string, error) {
	if s == "''" {
		return "", nil
	}
	return url.PathUnescape(s)
}

// timeIntervals reads timeIntervals=(timeRange:(start:ms,end:ms),
// timeGranularityType:DAY|MONTH); ok false after answering 400.
func timeIntervals(w http.ResponseWriter, raw string) (start, end time.Time, granularity string, ok bool) {
	bad := func(why string) (time.Time, time.Time, string, bool) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Invalid value for param timeIntervals: "+why)
		return time.Time{}, time.Time{}, "", false
	}
	v, err := parseRestli(raw)
	rec, _ := v.(map[string]any)
	if err != nil || rec == nil {
		return bad("it must be (timeRange:(start:{epoch ms},end:{epoch ms}),timeGranularityType:DAY|MONTH)")
	}
	tr, _ := rec["timeRange"].(map[string]any)
	ms := func(k string) (time.Time, bool) {
		s, _ := tr[k].(string)
		n, err := strconv.ParseInt(s, 10, 64)
		return time.UnixMilli(n).UTC(), err == nil && n >= 0
	}
	start, ok1 := ms("start")
	end, ok2 := ms("end")
	granularity, _ = rec["timeGranularityType"].(string)
	switch {
	case !ok1 || !ok2:
		return bad("timeRange.start and timeRange.end must be epoch milliseconds")
	case granularity != "DAY" && granularity != "MONTH" && granularity != "WEEK":
		return bad("timeGranularityType must be DAY, WEEK or MONTH")
	case !end.After(start):
		return bad("timeRange.end must be after timeRange.start")
	}
	return start, end, granularity, true
}

// buckets split [start, end) into days, weeks or months.
func buckets(start, end time.Time, granularity string) [][2]time.Time {
	var out [][2]time.Time
	for from := start; from.Before(end); {
		var to time.Time
		switch granularity {
		case "MONTH":
			to = from.AddDate(0, 1, 0)
		case "WEEK":
			to = from.AddDate(0, 0, 7)
		default:
			to = from.AddDate(0, 0, 1)
		}
		if to.After(end) {
			to = end
		}
		out = append(out, [2]time.Time{from, to})
		from = to
	}
	return out
}

// sumDays adds a made-up daily count over the days of a bucket, so a
// month is the sum of its days.
func sumDays(b [2]time.Time, f func(day time.Time) int) int {
	total := 0
	for d := b[0]; d.Before(b[1]); d = d.AddDate(0, 0, 1) {
		total += f(d)
	}
	return total
}

func timeRangeJSON(b [2]time.Time) map[string]any {
	return map[string]any{"start": b[0].UnixMilli(), "end": b[1].UnixMilli()}
}

// statisticsPage reads the page a statistics finder is about and checks
// the member may read its statistics: an APPROVED role among
// facts.AnalyticsRoles, as LinkedIn's statistics pages say; 403 otherwise.
func statisticsPage(w http.ResponseWriter, r *http.Request, q map[string]string, finder, resource string) (Page, bool) {
	if q["q"] != finder {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param q: %q (the finder is %s)", q["q"], finder))
		return Page{}, false
	}
	urn, err := url.QueryUnescape(q[finder])
	m := organizationURN.FindStringSubmatch(urn)
	if err != nil || m == nil {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param %s: %q is not a urn:li:organization URN", finder, urn))
		return Page{}, false
	}
	i := slices.IndexFunc(Pages, func(p Page) bool { return p.ID == m[1] && slices.Contains(facts.AnalyticsRoles, p.Role) })
	if i < 0 {
		apiError(w, http.StatusForbidden, "ACCESS_DENIED", fmt.Sprintf("Not enough permissions to access: %s (the member must be an %s of %s)",
			access(r, resource, "FINDER"), strings.Join(facts.AnalyticsRoles, " or "), urn))
		return Page{}, false
	}
	return Pages[i], true
}

// statisticsRange reads a statistics finder's optional timeIntervals,
// refusing a start in the future and, where LinkedIn keeps a rolling
// window, one older than it.
func (s *Sandbox) statisticsRange(w http.ResponseWriter, q map[string]string, months int, what string) (bs [][2]time.Time, timed, ok bool) {
	raw, timed := q["timeIntervals"]
	if !timed {
		return nil, false, true
	}
	start, end, granularity, ok := timeIntervals(w, raw)
	if !ok {
		return nil, true, false
	}
	now := s.opts.Now().UTC()
	if start.After(now) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Invalid value for param timeIntervals: timeRange.start is in the future")
		return nil, true, false
	}
	if months > 0 && start.Before(now.AddDate(0, -months, -1)) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param timeIntervals: %s are only available for the past %d months", what, months))
		return nil, true, false
	}
	return buckets(start, end, granularity), true, true
}

// networkSize is GET /rest/networkSizes/{organization urn}
// ?edgeType=COMPANY_FOLLOWED_BY_MEMBER: a page's follower count.
func (s *Sandbox) networkSize(w http.ResponseWriter, r *http.Request, g *grant) {
	urn, err := url.PathUnescape(chi.URLParam(r, "urn"))
	m := organizationURN.FindStringSubmatch(urn)
	switch {
	case err != nil || m == nil:
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid key %q: it must be an encoded urn:li:organization URN", chi.URLParam(r, "urn")))
		return
	case r.URL.Query().Get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Invalid value for param edgeType: must be COMPANY_FOLLOWED_BY_MEMBER")
		return
	}
	if _, known := page(m[1]); !known {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: "+urn)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"firstDegreeSize": count(1000, 250000, "followers", m[1])})
}

func emptyPaging() map[string]any { return map[string]any{"start": 0, "count": 10, "links": []any{}} }

// facetCounts are a lifetime breakdown: a few values of a facet, each
// with counts made by f.
func facetCounts(field string, values []string, f func(value string) map[string]any, countsField string) []any {
	out := []any{}
	for _, v := range values {
		out = append(out, map[string]any{field: v, countsField: f(v)})
	}
	return out
}

// The facets' values the sandbox shows, as LinkedIn names them.
var facets = []struct{ by, field string }{
	{"Seniority", "seniority"}, {"Function", "function"}, {"Industry", "industry"},
	{"GeoCountry", "geo"}, {"Geo", "geo"}, {"StaffCountRange", "staffCountRange"},
}

func facetValues(field string) []string {
	switch field {
	case "seniority":
		return []string{"urn:li:seniority:3", "urn:li:seniority:4", "urn:li:seniority:5"}
	case "function":
		return []string{"urn:li:function:4", "urn:li:function:8", "urn:li:function:25"}
	case "industry":
		return []string{"urn:li:industry:4", "urn:li:industry:96"}
	case "geo":
		return []string{"urn:li:geo:103644278", "urn:li:geo:101165590"}
	default:
		return []string{"SIZE_11_TO_50", "SIZE_201_TO_500"}
	}
}

// followerStatistics is GET /rest/organizationalEntityFollowerStatistics
// ?q=organizationalEntity: lifetime counts by facet, or gains by day or
// month over timeIntervals.
func (s *Sandbox) followerStatistics(w http.ResponseWriter, r *http.Request, g *grant) {
	q := restliQuery(r.URL.RawQuery)
	p, ok := statisticsPage(w, r, q, "organizationalEntity", "organizationalEntityFollowerStatistics")
	if !ok {
		return
	}
	bs, timed, ok := s.statisticsRange(w, q, 0, "follower statistics")
	if !ok {
		return
	}
	elements := []any{}
	if timed {
		for _, b := range bs {
			elements = append(elements, map[string]any{"organizationalEntity": p.URN(), "timeRange": timeRangeJSON(b),
				"followerGains": map[string]any{
					"organicFollowerGain": sumDays(b, func(d time.Time) int { return count(0, 25, "organicGain", p.ID, d.Unix()) }),
					"paidFollowerGain":    sumDays(b, func(d time.Time) int { return count(0, 3, "paidGain", p.ID, d.Unix()) }),
				}})
		}
	} else {
		e := map[string]any{"organizationalEntity": p.URN(), "followerCountsByAssociationType": []any{
			map[string]any{"associationType": "EMPLOYEE", "followerCounts": map[string]any{"organicFollowerCount": count(10, 200, "employees", p.ID), "paidFollowerCount": 0}}}}
		for _, f := range facets {
			e["followerCountsBy"+f.by] = facetCounts(f.field, facetValues(f.field), func(v string) map[string]any {
				return map[string]any{"organicFollowerCount": count(50, 5000, "followers", p.ID, f.by, v), "paidFollowerCount": count(0, 50, "paid", p.ID, f.by, v)}
			}, "followerCounts")
		}
		elements = append(elements, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"paging": emptyPaging(), "elements": elements})
}

// shareStatistics is GET /rest/organizationalEntityShareStatistics
// ?q=organizationalEntity: the page's posts' statistics, or the given
// posts' (shares=List(…), ugcPosts=List(…)), lifetime or by day or month;
// LinkedIn keeps a rolling 12 months.
func (s *Sandbox) shareStatistics(w http.ResponseWriter, r *http.Request, g *grant) {
	q := restliQuery(r.URL.RawQuery)
	p, ok := statisticsPage(w, r, q, "organizationalEntity", "organizationalEntityShareStatistics")
	if !ok {
		return
	}
	type post struct{ kind, urn string }
	var posts []post
	for _, kind := range []string{"shares", "ugcPosts"} {
		raw, given := q[kind]
		if !given {
			continue
		}
		v, err := parseRestli(raw)
		list, isList := v.([]any)
		if err != nil || !isList {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param %s: it must be List({encoded URN},…)", kind))
			return
		}
		for _, item := range list {
			urn, _ := item.(string)
			if !postURN.MatchString(urn) || (kind == "shares") != strings.HasPrefix(urn, "urn:li:share:") {
				apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param %s: %q", kind, urn))
				return
			}
			posts = append(posts, post{strings.TrimSuffix(kind, "s"), urn})
		}
	}
	bs, timed, ok := s.statisticsRange(w, q, facts.ShareStatisticsMonths, "share statistics")
	if !ok {
		return
	}
	if !timed {
		bs = [][2]time.Time{{}}
	}
	if posts == nil {
		posts = []post{{}}
	}
	elements := []any{}
	for _, b := range bs {
		for _, po := range posts {
			stats := func(metric string, lo, span int) int {
				if !timed {
					return count(lo*200, span*200, metric, p.ID, po.urn)
				}
				return sumDays(b, func(d time.Time) int { return count(lo, span, metric, p.ID, po.urn, d.Unix()) })
			}
			impressions := stats("impressions", 100, 900)
			clicks, likes, comments, shares := stats("clicks", 0, 30), stats("likes", 0, 40), stats("comments", 0, 8), stats("shares", 0, 5)
			engagement := 0.0
			if impressions > 0 {
				engagement = float64(clicks+likes+comments+shares) / float64(impressions)
			}
			e := map[string]any{"organizationalEntity": p.URN(), "totalShareStatistics": map[string]any{
				"impressionCount": impressions, "uniqueImpressionsCount": impressions * 6 / 10, "clickCount": clicks,
				"likeCount": likes, "commentCount": comments, "shareCount": shares, "engagement": float64(int(engagement*10000)) / 10000,
			}}
			if timed {
				e["timeRange"] = timeRangeJSON(b)
			}
			if po.urn != "" {
				e[po.kind] = po.urn
			}
			elements = append(elements, e)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"paging": emptyPaging(), "elements": elements})
}

// pageSections are the page views LinkedIn counts by section.
var pageSections = []string{"allPageViews", "allDesktopPageViews", "allMobilePageViews", "overviewPageViews", "aboutPageViews",
	"peoplePageViews", "jobsPageViews", "careersPageViews", "lifeAtPageViews", "insightsPageViews", "productsPageViews"}

// pageStatistics is GET /rest/organizationPageStatistics?q=organization:
// views by section, lifetime (and by facet) or by day or month.
func (s *Sandbox) pageStatistics(w http.ResponseWriter, r *http.Request, g *grant) {
	q := restliQuery(r.URL.RawQuery)
	p, ok := statisticsPage(w, r, q, "organization", "organizationPageStatistics")
	if !ok {
		return
	}
	bs, timed, ok := s.statisticsRange(w, q, 0, "page statistics")
	if !ok {
		return
	}
	views := func(day func(section string) int) map[string]any {
		v := map[string]any{}
		desktop, mobile := day("desktop"), day("mobile")
		for _, section := range pageSections {
			n := 0
			switch section {
			case "allPageViews":
				n = desktop + mobile
			case "allDesktopPageViews":
				n = desktop
			case "allMobilePageViews":
				n = mobile
			default:
				n = day(section)
			}
			v[section] = map[string]any{"pageViews": n}
		}
		return map[string]any{"views": v}
	}
	elements := []any{}
	if timed {
		for _, b := range bs {
			elements = append(elements, map[string]any{"organization": p.URN(), "timeRange": timeRangeJSON(b),
				"totalPageStatistics": views(func(section string) int {
					return sumDays(b, func(d time.Time) int { return count(0, 40, "views", p.ID, section, d.Unix()) })
				})})
		}
	} else {
		e := map[string]any{"organization": p.URN(), "totalPageStatistics": views(func(section string) int { return count(1000, 20000, "views", p.ID, section) })}
		for _, f := range facets {
			e["pageStatisticsBy"+f.by] = facetCounts(f.field, facetValues(f.field), func(v string) map[string]any {
				return views(func(section string) int { return count(10, 2000, "views", p.ID, f.by, v, section) })
			}, "pageStatistics")
		}
		elements = append(elements, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"paging": emptyPaging(), "elements": elements})
}

// socialMetadata is GET /rest/socialMetadata/{post urn}: the post's
// reactions by type and its comments, as the sandbox holds them.
func (s *Sandbox) socialMetadata(w http.ResponseWriter, r *http.Request, g *grant) {
	urn, ok := keyURN(w, r, "urn", postURN, "urn:li:share or urn:li:ugcPost")
	if !ok || !s.postOf(w, urn) {
		return
	}
	s.mu.Lock()
	summaries := map[string]any{}
	counts := map[string]int{}
	for k, re := range s.reactions {
		if k.entity == urn {
			counts[re.ReactionType]++
		}
	}
	top, all := 0, len(s.comments[urn])
	for _, c := range s.comments[urn] {
		if c.ParentComment == "" {
			top++
		}
	}
	s.mu.Unlock()
	for t, n := range counts {
		summaries[t] = map[string]any{"reactionType": t, "count": n}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entity": urn, "reactionSummaries": summaries, "commentsState": "OPEN",
		"commentSummary": map[string]any{"count": all, "topLevelCount": top}})
}

// listReactions is GET /rest/reactions/(entity:{post urn})?q=entity
// &sort=(value:…): the reactions on a post, a page at a time.
func (s *Sandbox) listReactions(w http.ResponseWriter, r *http.Request, g *grant) {
	if r.URL.Query().Get("q") != "entity" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Invalid value for param q: the finder is entity")
		return
	}
	key, ok := parseCompoundKey(chi.URLParam(r, "key"))
	if !ok || len(key) != 1 || !postURN.MatchString(key["entity"]) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Syntax exception in path variables: the key must be (entity:{encoded post URN})")
		return
	}
	urn := key["entity"]
	sort := "REVERSE_CHRONOLOGICAL"
	if raw, given := restliQuery(r.URL.RawQuery)["sort"]; given {
		v, err := parseRestli(raw)
		rec, _ := v.(map[string]any)
		sort, _ = rec["value"].(string)
		if err != nil || !slices.Contains([]string{"CHRONOLOGICAL", "REVERSE_CHRONOLOGICAL", "RELEVANCE"}, sort) {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Invalid value for param sort: it must be (value:CHRONOLOGICAL|REVERSE_CHRONOLOGICAL|RELEVANCE)")
			return
		}
	}
	if !s.postOf(w, urn) {
		return
	}
	start, n, ok := paging(w, r)
	if !ok {
		return
	}
	type listed struct {
		actor string
		re    reaction
	}
	s.mu.Lock()
	var found []listed
	for k, re := range s.reactions {
		if k.entity == urn {
			found = append(found, listed{k.actor, *re})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(found, func(a, b listed) int {
		c := cmp.Compare(a.re.Created.Time, b.re.Created.Time)
		if sort != "CHRONOLOGICAL" {
			c = -c
		}
		return cmp.Or(c, strings.Compare(a.actor, b.actor))
	})
	elements := []any{}
	for _, f := range found {
		elements = append(elements, map[string]any{"id": f.re.ID, "actor": f.actor, "root": f.re.Root, "reactionType": f.re.ReactionType,
			"created": f.re.Created, "lastModified": f.re.LastModified})
	}
	writeJSON(w, http.StatusOK, collection(r, elements, start, n))
}

// memberPostAnalytics is GET /rest/memberCreatorPostAnalytics, q=me (all
// the member's posts) or q=entity (one post): a metric in total or by day
// over dateRange.
func (s *Sandbox) memberPostAnalytics(w http.ResponseWriter, r *http.Request, g *grant) {
	q := restliQuery(r.URL.RawQuery)
	subject := "me"
	switch q["q"] {
	case "me":
	case "entity":
		urn, err := url.QueryUnescape(q["entity"])
		if err != nil || !postURN.MatchString(urn) {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param entity: %q is not a urn:li:share or urn:li:ugcPost URN", urn))
			return
		}
		subject = urn
	default:
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Invalid value for param q: the finders are me and entity")
		return
	}
	metric, aggregation := q["queryType"], cmp.Or(q["aggregation"], "TOTAL")
	if !slices.Contains([]string{"IMPRESSION", "MEMBERS_REACHED", "RESHARE", "REACTION", "COMMENT"}, metric) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param queryType: %q", metric))
		return
	}
	if aggregation != "TOTAL" && aggregation != "DAILY" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param aggregation: %q", aggregation))
		return
	}
	var days [][2]time.Time
	if raw, given := q["dateRange"]; given {
		v, err := parseRestli(raw)
		rec, _ := v.(map[string]any)
		date := func(k string) (time.Time, bool) {
			d, _ := rec[k].(map[string]any)
			n := func(f string) int { s, _ := d[f].(string); i, _ := strconv.Atoi(s); return i }
			t := time.Date(n("year"), time.Month(n("month")), n("day"), 0, 0, 0, 0, time.UTC)
			return t, d != nil && t.Day() == n("day") && t.Month() == time.Month(n("month"))
		}
		from, ok1 := date("start")
		to, ok2 := date("end")
		if err != nil || !ok1 || !ok2 || !to.After(from) {
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Invalid value for param dateRange: it must be (start:(day:D,month:M,year:Y),end:(day:D,month:M,year:Y)) with end after start")
			return
		}
		days = buckets(from, to, "DAY")
	} else if aggregation == "DAILY" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "dateRange is required with aggregation DAILY")
		return
	}
	metricType := map[string]any{"com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1": metric}
	daily := func(d time.Time) int { return count(0, 300, "member", metric, subject, d.Unix()) }
	elements := []any{}
	dateJSON := func(t time.Time) map[string]any {
		return map[string]any{"day": t.Day(), "month": int(t.Month()), "year": t.Year()}
	}
	switch {
	case aggregation == "DAILY":
		for _, b := range days {
			elements = append(elements, map[string]any{"count": daily(b[0]), "metricType": metricType,
				"dateRange": map[string]any{"start": dateJSON(b[0]), "end": dateJSON(b[1])}})
		}
	case days != nil:
		total := 0
		for _, b := range days {
			total += daily(b[0])
		}
		elements = append(elements, map[string]any{"count": total, "metricType": metricType,
			"dateRange": map[string]any{"start": dateJSON(days[0][0]), "end": dateJSON(days[len(days)-1][1])}})
	default:
		elements = append(elements, map[string]any{"count": count(100, 50000, "member", metric, subject), "metricType": metricType})
	}
	writeJSON(w, http.StatusOK, map[string]any{"paging": emptyPaging(), "elements": elements})
}
