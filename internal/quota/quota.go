// Package quota remembers which of LinkedIn's limits are known to be
// reached, from LinkedIn's own 429 answers, so a call LinkedIn would refuse
// is refused before it is sent and the datasource can show why and until
// when.
//
// LinkedIn's limits are daily, per application and per member of an
// application, and reset at midnight UTC; it also answers 429 now and then
// to protect itself, without naming a daily limit. Everything is kept in
// memory and forgotten once it has expired.
package quota

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Scope is which limit a 429 names.
type Scope int

const (
	// Throttle is a 429 that names no daily limit: LinkedIn protecting
	// itself, or a short limit. It pauses one datasource briefly.
	Throttle Scope = iota
	// Member is the daily limit of one member's calls through one app.
	Member
	// App is the daily limit of all of an app's calls.
	App
)

func (s Scope) String() string {
	switch s {
	case Member:
		return "member"
	case App:
		return "app"
	}
	return "throttle"
}

// Verdict is what a 429 from LinkedIn says.
type Verdict struct {
	Scope Scope
	// Until is when calls may go again: LinkedIn's Retry-After when it
	// gave one, else the next midnight UTC for a daily limit, or
	// ShortPause from now.
	Until time.Time
	// Said is LinkedIn's message, shortened.
	Said string
}

// ShortPause is how long a datasource waits after a 429 that names no
// daily limit and has no Retry-After: long enough not to hammer LinkedIn
// while it protects itself, short enough that a caller retrying by hand
// hardly notices.
const ShortPause = 5 * time.Second

// MaxRetryAfter caps LinkedIn's Retry-After: none of its limits outlasts a
// day, so a longer one is a mistake that must not stop calls for longer.
const MaxRetryAfter = 24 * time.Hour

// maxSaid bounds how much of LinkedIn's message is kept per entry, so the
// memory of many entries stays small.
const maxSaid = 200

// daily finds LinkedIn's name for a daily limit in its 429 message,
// "Resource level throttle APPLICATION DAY limit for calls to this resource
// is reached." or "... APPLICATION_AND_MEMBER DAY limit ..."; the word
// before DAY says whose limit it is. Upper case only: prose that merely
// mentions a day is not LinkedIn naming a limit.
var daily = regexp.MustCompile(`(?:\b([A-Z][A-Z_]*)\s+)?\bDAY\b`)

// Classify reads LinkedIn's 429 answer.
func Classify(now time.Time, header http.Header, body []byte) Verdict {
	said := message(body)
	v := Verdict{Scope: Throttle, Said: said}
	if m := daily.FindStringSubmatch(said); m != nil {
		// APPLICATION alone is the app's limit; anything naming the
		// member, or naming nobody, is taken as the narrower member's
		// limit, so a misreading stops one member rather than the app.
		v.Scope = Member
		if m[1] == "APPLICATION" {
			v.Scope = App
		}
	}
	switch wait, ok := RetryAfter(now, header); {
	case ok:
		v.Until = now.Add(wait)
	case v.Scope == Throttle:
		v.Until = now.Add(ShortPause)
	default:
		v.Until = NextMidnightUTC(now)
	}
	return v
}

// NextMidnightUTC is when LinkedIn's daily limits reset after now.
func NextMidnightUTC(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// RetryAfter reads a Retry-After header, seconds or an HTTP date, capped at
// MaxRetryAfter; ok is false when there is none or it makes no sense.
func RetryAfter(now time.Time, header http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var wait time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		wait = time.Duration(min(secs, int64(MaxRetryAfter/time.Second))) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		wait = max(at.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(wait, MaxRetryAfter), true
}

// message is the "message" of LinkedIn's JSON error, or the body itself
// when it is short text, shortened to maxSaid.
func message(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	s := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil {
		s = e.Message
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxSaid {
		cut := maxSaid
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// Tracker remembers, per key, until when a limit is reached and why.
type Tracker struct {
	now func() time.Time
	max int

	mu      sync.Mutex
	entries map[string]entry
	// sweepAt is the size at which expired entries are dropped; it grows
	// with the live ones, so sweeps stay rare.
	sweepAt int
}

type entry struct {
	until  time.Time
	reason string
}

// DefaultMax bounds a tracker: 10,000 entries took 3.3 MiB of heap with
// LinkedIn's usual message (what is kept of a message is cut at 200
// bytes), and that many members over their daily limit at once is far
// beyond what one server sees.
const DefaultMax = 10000

const minSweep = 256

// New makes a tracker holding at most size entries (DefaultMax when 0);
// now is the clock.
func New(now func() time.Time, size int) *Tracker {
	if now == nil {
		now = time.Now
	}
	if size < 1 {
		size = DefaultMax
	}
	return &Tracker{now: now, max: size, entries: map[string]entry{}, sweepAt: min(minSweep, size)}
}

// Exhausted says until when key's limit is known to be reached, and why.
// The context is for trackers kept in a shared store; this one is memory.
func (t *Tracker) Exhausted(ctx context.Context, key string) (until time.Time, reason string, ok bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[key]
	if !ok {
		return time.Time{}, "", false
	}
	if !now.Before(e.until) {
		delete(t.entries, key)
		return time.Time{}, "", false
	}
	return e.until, e.reason, true
}

// Limit is one limit known reached: its key, until when, and why.
type Limit struct {
	Key    string
	Until  time.Time
	Reason string
}

// Prefixed lists the limits known reached whose keys start with prefix,
// by key.
func (t *Tracker) Prefixed(ctx context.Context, prefix string) []Limit {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Limit
	for k, e := range t.entries {
		if strings.HasPrefix(k, prefix) && now.Before(e.until) {
			out = append(out, Limit{Key: k, Until: e.until, Reason: e.reason})
		}
	}
	slices.SortFunc(out, func(a, b Limit) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Exhaust records that key's limit is reached until a time. A later time
// already known is kept: two answers in flight may arrive in any order.
func (t *Tracker) Exhaust(ctx context.Context, key string, until time.Time, reason string) {
	now := t.now()
	if !now.Before(until) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.entries[key]; ok {
		if !until.After(old.until) {
			return
		}
	} else if len(t.entries) >= t.sweepAt {
		t.sweep(now)
	}
	t.entries[key] = entry{until: until, reason: reason}
}

// sweep drops expired entries and, when the live ones fill the tracker,
// the one that ends soonest: it is the one whose loss costs least (at
// worst one call sent that LinkedIn refuses).
func (t *Tracker) sweep(now time.Time) {
	for k, e := range t.entries {
		if !now.Before(e.until) {
			delete(t.entries, k)
		}
	}
	for len(t.entries) >= t.max {
		var soonest string
		var at time.Time
		found := false
		for k, e := range t.entries {
			if !found || e.until.Before(at) {
				soonest, at, found = k, e.until, true
			}
		}
		delete(t.entries, soonest)
	}
	t.sweepAt = min(max(minSweep, 2*len(t.entries)), t.max)
}

// Len is how many entries the tracker holds.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}
