package quota_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"pluginserver/internal/quota"
	"pluginserver/internal/testclock"
)

// LinkedIn's 429 bodies as its API sends them (the wording is quoted in
// docs/api.md with where it was seen).
const (
	appDay       = `{"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}`
	memberDay    = `{"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION_AND_MEMBER DAY limit for calls to this resource is reached."}`
	plainMember  = `{"status":429,"message":"Resource level throttle MEMBER DAY limit for calls to this resource is reached."}`
	unnamed      = `{"serviceErrorCode":101,"message":"Resource level throttle limit for calls to this resource is reached.","status":429}`
	minute       = `{"status":429,"message":"Resource level throttle APPLICATION MINUTE limit for calls to this resource is reached."}`
	proseWithDay = `{"status":429,"message":"Too many requests, try again later in the day"}`
)

func TestClassify(t *testing.T) {
	now := time.Date(2026, 11, 29, 17, 30, 0, 0, time.UTC)
	midnight := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		body      string
		header    http.Header
		wantScope quota.Scope
		wantUntil time.Time
	}{
		{"app day", appDay, nil, quota.App, midnight},
		{"member of an app, day", memberDay, nil, quota.Member, midnight},
		{"member day", plainMember, nil, quota.Member, midnight},
		{"no limit named", unnamed, nil, quota.Throttle, now.Add(quota.ShortPause)},
		{"a minute limit is short", minute, nil, quota.Throttle, now.Add(quota.ShortPause)},
		{"prose is not a limit's name", proseWithDay, nil, quota.Throttle, now.Add(quota.ShortPause)},
		{"empty body", ``, nil, quota.Throttle, now.Add(quota.ShortPause)},
		{"text body", `Resource level throttle APPLICATION DAY limit reached`, nil, quota.App, midnight},
		{"Retry-After seconds on a throttle", unnamed, http.Header{"Retry-After": {"30"}}, quota.Throttle, now.Add(30 * time.Second)},
		{"Retry-After wins over midnight", memberDay, http.Header{"Retry-After": {"120"}}, quota.Member, now.Add(2 * time.Minute)},
		{"Retry-After as a date", appDay, http.Header{"Retry-After": {now.Add(time.Hour).Format(http.TimeFormat)}}, quota.App, now.Add(time.Hour)},
		{"Retry-After capped at a day", unnamed, http.Header{"Retry-After": {"9999999"}}, quota.Throttle, now.Add(quota.MaxRetryAfter)},
		{"nonsense Retry-After ignored", memberDay, http.Header{"Retry-After": {"-5"}}, quota.Member, midnight},
		{"unreadable Retry-After ignored", unnamed, http.Header{"Retry-After": {"soon"}}, quota.Throttle, now.Add(quota.ShortPause)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.header
			if h == nil {
				h = http.Header{}
			}
			v := quota.Classify(now, h, []byte(c.body))
			if v.Scope != c.wantScope || !v.Until.Equal(c.wantUntil) {
				t.Fatalf("scope %v until %v, want %v until %v", v.Scope, v.Until, c.wantScope, c.wantUntil)
			}
		})
	}
}

func TestClassifyKeepsLinkedInsWords(t *testing.T) {
	v := quota.Classify(time.Now(), http.Header{}, []byte(memberDay))
	if v.Said != "Resource level throttle APPLICATION_AND_MEMBER DAY limit for calls to this resource is reached." {
		t.Fatalf("said %q", v.Said)
	}
	long := fmt.Sprintf(`{"message":%q}`, strings.Repeat("throttle ", 600))
	if v := quota.Classify(time.Now(), http.Header{}, []byte(long)); len(v.Said) > 300 {
		t.Fatalf("kept %d bytes of a long message", len(v.Said))
	}
}

func TestNextMidnightUTC(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	cases := []struct {
		now, want time.Time
	}{
		{time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 11, 29, 23, 59, 59, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		// 21:00 in New York on the 29th is 02:00 UTC on the 30th.
		{time.Date(2026, 11, 29, 21, 0, 0, 0, est), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		if got := quota.NextMidnightUTC(c.now); !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("after %v: %v, want %v", c.now, got, c.want)
		}
	}
}

// TestTracker: a limit holds until its time, then is forgotten; a later
// time wins over an earlier one whatever order they come in.
func TestTracker(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC))
	tr := quota.New(clk.Now, 0)
	midnight := quota.NextMidnightUTC(clk.Now())
	tr.Exhaust(ctx, "member:app:ann", midnight, "day")
	tr.Exhaust(ctx, "member:app:ann", clk.Now().Add(time.Minute), "short")
	tr.Exhaust(ctx, "datasource:ds1", clk.Now().Add(-time.Second), "already over")

	if until, reason, ok := tr.Exhausted(ctx, "member:app:ann"); !ok || !until.Equal(midnight) || reason != "day" {
		t.Fatalf("member: %v %q %v", until, reason, ok)
	}
	if _, _, ok := tr.Exhausted(ctx, "member:app:bob"); ok {
		t.Fatal("another member is over too")
	}
	if _, _, ok := tr.Exhausted(ctx, "datasource:ds1"); ok {
		t.Fatal("a limit already over was kept")
	}
	clk.Advance(time.Hour)
	if _, _, ok := tr.Exhausted(ctx, "member:app:ann"); ok {
		t.Fatal("still over after midnight UTC")
	}
	if tr.Len() != 0 {
		t.Fatalf("%d entries left after they expired", tr.Len())
	}
}

// TestTrackerForgets: expired entries are dropped as new ones come, and
// the tracker never holds more than its size.
func TestTrackerForgets(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC))
	tr := quota.New(clk.Now, 1000)
	for i := range 5000 {
		tr.Exhaust(ctx, fmt.Sprint("datasource:", i), clk.Now().Add(quota.ShortPause), "short")
		clk.Advance(100 * time.Millisecond)
	}
	if n := tr.Len(); n > 600 {
		t.Fatalf("%d entries held when at most 50 are live", n)
	}
	for i := range 5000 {
		tr.Exhaust(ctx, fmt.Sprint("member:", i), clk.Now().Add(time.Hour+time.Duration(i)*time.Second), "day")
	}
	if n := tr.Len(); n > 1000 {
		t.Fatalf("%d entries held, more than the size 1000", n)
	}
	// What is kept is what lasts longest.
	if _, _, ok := tr.Exhausted(ctx, "member:4999"); !ok {
		t.Fatal("the latest entry was dropped")
	}
	if _, _, ok := tr.Exhausted(ctx, "member:0"); ok {
		t.Fatal("the entry ending soonest was kept over later ones")
	}
}
