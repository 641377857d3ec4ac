package linkedin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"pluginserver/plugin"
)

// Time ranges as people write them: start and end are dates (2026-11-01,
// or an RFC 3339 time, read as its UTC date), today or yesterday, and
// start may be "last N days", "last N weeks" or "last N months". Days are
// UTC days, as LinkedIn's statistics are; end is inclusive. LinkedIn
// takes the range as epoch milliseconds, end exclusive.

// rangeParams are the params of a command over a time range.
type rangeParams struct {
	Start       string `json:"start"`
	End         string `json:"end"`
	Granularity string `json:"granularity"`
}

// timeRange is a range of whole UTC days, [start, end).
type timeRange struct {
	start, end  time.Time
	granularity string
}

var lastPattern = regexp.MustCompile(`^last\s+(\d{1,4})\s+(day|week|month)s?$`)

// rangeLimits are what LinkedIn allows of a range on an endpoint.
type rangeLimits struct {
	// months is how far back start may be, 0 for no documented bound.
	months int
	// what names the statistics in the refusal.
	what string
}

// timeRange reads the range at now ("last 30 days", a future start); nil
// when no range is asked for (lifetime statistics). A bad range is refused
// naming the field, before anything is sent.
func (p rangeParams) timeRange(now time.Time, limits rangeLimits) (*timeRange, error) {
	start, end := strings.TrimSpace(p.Start), strings.TrimSpace(p.End)
	if start == "" {
		// Lifetime statistics; granularity, which a form may fill with
		// its default, has nothing to apply to.
		if end != "" {
			return nil, plugin.InvalidField("start", "is required with end: give the first day of the range")
		}
		return nil, nil
	}
	if now.IsZero() {
		now = time.Now()
	}
	today := utcDay(now)
	from, err := parseDay("start", start, today, true)
	if err != nil {
		return nil, err
	}
	if from.After(today) {
		return nil, plugin.InvalidField("start", "is in the future (%s; today is %s in UTC): LinkedIn has no statistics for it yet", day(from), day(today))
	}
	if limits.months > 0 {
		if oldest := today.AddDate(0, -limits.months, 0); from.Before(oldest) {
			return nil, plugin.InvalidField("start", "is %s, more than %d months ago: LinkedIn keeps %s for a rolling %d months only; start on or after %s",
				day(from), limits.months, limits.what, limits.months, day(oldest))
		}
	}
	// Without end, the range runs to yesterday, the last whole day.
	to := today.AddDate(0, 0, -1)
	if end != "" {
		if to, err = parseDay("end", end, today, false); err != nil {
			return nil, err
		}
		if to.After(today) {
			return nil, plugin.InvalidField("end", "is in the future (%s; today is %s in UTC): end on today at the latest", day(to), day(today))
		}
	} else if to.Before(from) {
		to = from
	}
	if to.Before(from) {
		return nil, plugin.InvalidField("end", "is %s, before start (%s): the range must end on or after its first day", day(to), day(from))
	}
	g := p.Granularity
	if g == "" {
		g = "DAY"
	}
	return &timeRange{start: from, end: to.AddDate(0, 0, 1), granularity: g}, nil
}

// parseDay reads one end of a range; only start may be "last N ...".
func parseDay(field, s string, today time.Time, isStart bool) (time.Time, error) {
	lower := strings.ToLower(s)
	switch lower {
	case "today":
		return today, nil
	case "yesterday":
		return today.AddDate(0, 0, -1), nil
	}
	if m := lastPattern.FindStringSubmatch(lower); m != nil {
		if !isStart {
			return time.Time{}, plugin.InvalidField(field, "%q names where a range starts; give end as a date, today or yesterday, or leave it out", s)
		}
		n, _ := strconv.Atoi(m[1])
		if n == 0 {
			return time.Time{}, plugin.InvalidField(field, "%q is an empty range; say last 1 %s or more", s, m[2])
		}
		switch m[2] {
		case "day":
			return today.AddDate(0, 0, -n), nil
		case "week":
			return today.AddDate(0, 0, -7*n), nil
		default:
			return today.AddDate(0, -n, 0), nil
		}
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return utcDay(t), nil
	}
	return time.Time{}, plugin.InvalidField(field, "must be a date (2026-11-01), today, yesterday%s; got %q", map[bool]string{true: ", or last N days, weeks or months"}[isStart], s)
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// intervals is the range as LinkedIn's statistics finders take it:
// timeIntervals=(timeRange:(start:ms,end:ms),timeGranularityType:DAY).
func (r *timeRange) intervals() Record {
	return Record{
		{"timeRange", Record{{"start", r.start.UnixMilli()}, {"end", r.end.UnixMilli()}}},
		{"timeGranularityType", r.granularity},
	}
}

// String is the range as people read it, end inclusive.
func (r *timeRange) String() string {
	return fmt.Sprintf("%s to %s", day(r.start), day(r.end.AddDate(0, 0, -1)))
}

// Fields of a time range.
var (
	startField = field{name: "start", schema: `{"type":"string","title":"Start",
		"description":"First day of the range (UTC): a date (2026-11-01), today, yesterday, or last N days, weeks or months. Leave empty for lifetime statistics.",
		"examples":["2026-11-01","last 30 days"],"maxLength":40}`,
		ui: `{"ui:placeholder":"last 30 days"}`}
	endField = field{name: "end", schema: `{"type":"string","title":"End",
		"description":"Last day of the range, included (UTC): a date, today or yesterday. Default: yesterday, the last whole day.",
		"examples":["2026-11-30"],"maxLength":40}`,
		ui: `{"ui:placeholder":"yesterday"}`}
	granularityField = field{name: "granularity", schema: `{"type":"string","title":"Granularity",
		"description":"One row per DAY or per MONTH of the range.","default":"DAY","examples":["DAY"],
		"oneOf":[{"const":"DAY","title":"Day"},{"const":"MONTH","title":"Month"}]}`}
)
