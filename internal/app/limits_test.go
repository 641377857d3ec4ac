package app_test

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pluginserver/internal/app"
	"pluginserver/internal/config"
	"pluginserver/internal/quota"
	"pluginserver/internal/testclock"
	"pluginserver/plugin/linkedin/sandbox"
)

func TestBodyLimits(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	_, reg := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"registerMediaUpload","params":{"author":"person:782bbtaQ","mediaCategory":"image"}}`)
	uploadURL := reg["output"].(map[string]any)["value"].(map[string]any)["uploadMechanism"].(map[string]any)["com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest"].(map[string]any)["uploadUrl"].(string)
	file := base64.StdEncoding.EncodeToString(make([]byte, 2<<20)) // about 2.7 MB of JSON
	status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"uploadMedia","params":{"uploadUrl":"`+uploadURL+`","data":"`+file+`","contentType":"image/png"}}`)
	if status != 200 || env["status"] != 201.0 {
		t.Fatalf("an upload over the JSON limit but under the upload limit: %d %v", status, env["error"])
	}
	h.app.Sandbox.Reset()
	status, env = h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"customAction","params":{"method":"POST","path":"/v2/x","body":"`+file+`"}}`)
	if status != 413 || env["error"].(map[string]any)["code"] != "payload_too_large" || len(h.app.Sandbox.Requests()) != 0 {
		t.Fatalf("another command over the JSON limit: %d %v", status, env["error"])
	}
}

func TestParamsShapeLimits(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"customAction","params":{"method":"POST","path":"/v2/x","body":`+deep+`}}`)
	if status != 400 || fields(env)[0] != "params" || !strings.Contains(env["error"].(map[string]any)["message"].(string), "deeper") {
		t.Fatalf("%d %v", status, env["error"])
	}
}

// call runs getUserInfo on a datasource and returns the answer's status,
// its Retry-After and the envelope.
func (h *harness) call(id string) (int, string, map[string]any) {
	h.t.Helper()
	return h.callWith(id, `{"command":"getUserInfo"}`)
}

// callWith runs an execute body on a datasource.
func (h *harness) callWith(id, body string) (int, string, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+"/v1/datasources/"+id+"/execute", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+builder)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var env map[string]any
	json.NewDecoder(resp.Body).Decode(&env)
	return resp.StatusCode, resp.Header.Get("Retry-After"), env
}

// burst runs n executes at once on a datasource, body(i) the i-th, and
// counts the answers by status.
func (h *harness) burst(id string, n int, body func(i int) string) map[int]int {
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, _ := h.callWith(id, body(i))
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return statuses
}

// sameRead is the same read each time, which callers in flight share.
func sameRead(int) string { return `{"command":"getUserInfo"}` }

// distinctPosts are writes, each of its own text: never shared.
func distinctPosts(i int) string {
	return `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"Burst ` + strconv.Itoa(i) + `","visibility":"PUBLIC"}}`
}

func errorOf(env map[string]any) (code, message string) {
	e, _ := env["error"].(map[string]any)
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	return code, message
}

// TestBurstsAreNotRefusedByDefault: one app page firing 50 reads at once
// through one datasource gets 50 answers from LinkedIn; with the defaults
// the server refuses none of what LinkedIn would take.
func TestBurstsAreNotRefusedByDefault(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	h.app.Sandbox.Reset()
	if got := h.burst(id, 50, distinctPosts); got[200] != 50 {
		t.Fatalf("50 posts at once: %v", got)
	}
	if n := h.sent("POST", "/v2/ugcPosts"); n != 50 {
		t.Fatalf("LinkedIn got %d of 50 posts", n)
	}
	// The same read, fifty times at once: every caller answered, LinkedIn
	// asked at most as often.
	h.app.Sandbox.Reset()
	if got := h.burst(id, 50, sameRead); got[200] != 50 {
		t.Fatalf("50 reads at once: %v", got)
	}
	if n := h.sent("GET", "/v2/userinfo"); n < 1 || n > 50 {
		t.Fatalf("LinkedIn got %d calls for 50 reads", n)
	}
}

// TestRateLimitSmoothsBursts: with PLUGIN_SERVER_RATE_LIMIT set, calls over
// the burst wait their turn and all go through.
func TestRateLimitSmoothsBursts(t *testing.T) {
	h := startHarness(t, map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "50", "PLUGIN_SERVER_RATE_BURST": "2"}, app.Options{}, "--sandbox")
	id := h.authorizedDatasource()
	h.app.Sandbox.Reset()
	if got := h.burst(id, 12, distinctPosts); got[200] != 12 {
		t.Fatalf("12 posts at once, 2 of them in the burst: %v", got)
	}
	if n := h.sent("POST", "/v2/ugcPosts"); n != 12 {
		t.Fatalf("LinkedIn got %d of 12 posts", n)
	}
}

// TestRateLimitRefusesOnlyWhatCannotWait: a call whose turn comes after its
// deadline is refused at once with Retry-After, and nothing is sent; other
// datasources and dry runs are not held up.
func TestRateLimitRefusesOnlyWhatCannotWait(t *testing.T) {
	h := startHarness(t, map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "0.0166667", "PLUGIN_SERVER_RATE_BURST": "1",
		"PLUGIN_SERVER_CALL_TIMEOUT": "2s"}, app.Options{}, "--sandbox")
	id := h.authorizedDatasource()
	other := h.authorizedDatasource()
	if status, _, env := h.call(id); status != 200 {
		t.Fatalf("the first call: %d %v", status, env["error"])
	}
	h.app.Sandbox.Reset()
	status, retryAfter, env := h.call(id)
	secs, _ := strconv.Atoi(retryAfter)
	if code, msg := errorOf(env); status != 429 || code != "rate_limited" || secs < 50 || secs > 60 || !strings.Contains(msg, "PLUGIN_SERVER_RATE_LIMIT") {
		t.Fatalf("a turn a minute away with 2 s to wait: %d %s, Retry-After %q", status, msg, retryAfter)
	}
	if n := len(h.app.Sandbox.Requests()); n != 0 {
		t.Fatalf("%d requests reached LinkedIn", n)
	}
	if status, _, env := h.call(other); status != 200 {
		t.Fatalf("another datasource was held up: %d %v", status, env["error"])
	}
	if status, env := h.do("POST", "/v1/datasources/"+id+"/execute?dryRun=true", builder, `{"command":"getUserInfo"}`); status != 200 {
		t.Fatalf("a dry run, which sends nothing: %d %v", status, env["error"])
	}
}

// TestRateSettings: the limiter is off unless asked for, and nonsense is
// refused at start naming the setting.
func TestRateSettings(t *testing.T) {
	cases := []struct {
		name      string
		env       map[string]string
		wantRate  float64
		wantBurst int
		wantErr   string
	}{
		{"off by default", nil, 0, 20, ""},
		{"opt-in", map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "5", "PLUGIN_SERVER_RATE_BURST": "10"}, 5, 10, ""},
		{"fractional", map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "0.5"}, 0.5, 20, ""},
		{"negative", map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "-1"}, 0, 0, "PLUGIN_SERVER_RATE_LIMIT"},
		{"not a number", map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "NaN"}, 0, 0, "PLUGIN_SERVER_RATE_LIMIT"},
		{"infinite", map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "+Inf"}, 0, 0, "PLUGIN_SERVER_RATE_LIMIT"},
		{"no burst", map[string]string{"PLUGIN_SERVER_RATE_BURST": "0"}, 0, 0, "PLUGIN_SERVER_RATE_BURST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Parse(app.ConfigDefaults(), []string{"--db", filepath.Join(t.TempDir(), "x.db")}, func(k string) string { return c.env[k] }, io.Discard)
			switch {
			case c.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want an error naming %s, got %v", c.wantErr, err)
				}
			case err != nil:
				t.Fatal(err)
			case cfg.RateLimit != c.wantRate || cfg.RateBurst != c.wantBurst:
				t.Fatalf("rate %v burst %d, want %v and %d", cfg.RateLimit, cfg.RateBurst, c.wantRate, c.wantBurst)
			}
		})
	}
}

// LinkedIn's 429 bodies, in its own words (see docs/api.md, "LinkedIn's
// limits").
const (
	memberDayLimit = `{"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION_AND_MEMBER DAY limit for calls to this resource is reached."}`
	appDayLimit    = `{"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}`
	unnamedLimit   = `{"serviceErrorCode":101,"message":"Resource level throttle limit for calls to this resource is reached.","status":429}`
)

func throttled(text string, header ...string) fault {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, text)
	}
}

// limitsHarness is a server in front of a LinkedIn that can be told to
// answer 429, on a clock the test moves.
type limitsHarness struct {
	*harness
	f   *faultyLinkedIn
	clk *testclock.Clock
}

func newLimitsHarness(t *testing.T) *limitsHarness {
	f := newFaultyLinkedIn(t)
	clk := testclock.New(time.Now())
	h := startHarness(t, sandbox.Env(f.srv.URL), app.Options{Now: clk.Now})
	return &limitsHarness{harness: h, f: f, clk: clk}
}

// memberDatasource is a datasource authorized by another member than the
// sandbox's own.
func (h *limitsHarness) memberDatasource(sub string) string {
	h.t.Helper()
	h.f.inject("/v2/userinfo", body(200, "application/json", `{"sub":"`+sub+`","name":"Jane Roe"}`))
	id := h.authorizedDatasource()
	if _, ds := h.do("GET", "/v1/datasources/"+id, builder, ""); ds["authorizedAs"].(map[string]any)["sub"] != sub {
		h.t.Fatalf("authorized as %v", ds["authorizedAs"])
	}
	return id
}

// limits is the datasource's "limits", nil when it shows none.
func (h *limitsHarness) limits(id string) []any {
	h.t.Helper()
	_, ds := h.do("GET", "/v1/datasources/"+id, builder, "")
	if _, ok := ds["limits"]; !ok {
		h.t.Fatalf("no limits field: %v", ds)
	}
	l, _ := ds["limits"].([]any)
	if ds["limits"] != nil && len(l) == 0 {
		h.t.Fatalf("limits shows none as %v, not null", ds["limits"])
	}
	return l
}

// limit is the datasource's limit of scope on endpoint, nil when it shows
// none.
func (h *limitsHarness) limit(id, scope, endpoint string) map[string]any {
	h.t.Helper()
	for _, l := range h.limits(id) {
		if l := l.(map[string]any); l["scope"] == scope && l["endpoint"] == endpoint {
			return l
		}
	}
	return nil
}

// refusedUnsent asserts a call is refused as rate_limited with a
// Retry-After of secs and a message holding want, without reaching
// LinkedIn.
func (h *limitsHarness) refusedUnsent(id string, secs int, want ...string) {
	h.t.Helper()
	h.f.inject("/v2/userinfo")
	status, retryAfter, env := h.call(id)
	code, msg := errorOf(env)
	if status != 429 || code != "rate_limited" || retryAfter != strconv.Itoa(secs) || h.f.count("/v2/userinfo") != 0 {
		h.t.Fatalf("%d %s %q, Retry-After %q (want %d); %d calls reached LinkedIn", status, code, msg, retryAfter, secs, h.f.count("/v2/userinfo"))
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			h.t.Fatalf("the message %q does not say %q", msg, w)
		}
	}
}

func (h *limitsHarness) works(id string) {
	h.t.Helper()
	if status, _, env := h.call(id); status != 200 {
		h.t.Fatalf("%d %v", status, env["error"])
	}
}

func secondsUntil(now, t time.Time) int {
	return int(math.Ceil(t.Sub(now).Seconds()))
}

// TestMemberDailyLimit: LinkedIn says a member's daily limit is reached;
// that member's next calls are refused without being sent until midnight
// UTC, on every datasource they authorized in that app, and the datasource
// shows it; another member's datasource still works.
func TestMemberDailyLimit(t *testing.T) {
	h := newLimitsHarness(t)
	id := h.authorizedDatasource()
	sameMember := h.authorizedDatasource()
	otherMember := h.memberDatasource("aW5vdGhlcg")

	h.f.inject("/v2/userinfo", throttled(memberDayLimit))
	status, retryAfter, env := h.call(id)
	if code, _ := errorOf(env); status != 429 || code != "rate_limited" || env["status"] != 429.0 || env["output"].(map[string]any)["code"] != "TOO_MANY_REQUESTS" {
		t.Fatalf("LinkedIn's 429: %d %v", status, env)
	}
	midnight := quota.NextMidnightUTC(h.clk.Now())
	secs := secondsUntil(h.clk.Now(), midnight)
	if retryAfter != strconv.Itoa(secs) {
		t.Fatalf("LinkedIn's 429 names no Retry-After, so ours is until the limit resets (%d s); got %q", secs, retryAfter)
	}
	h.refusedUnsent(id, secs, "782bbtaQ", "daily limit of GET /v2/userinfo", midnight.Format(time.RFC3339), "APPLICATION_AND_MEMBER DAY")
	h.refusedUnsent(sameMember, secs, "782bbtaQ")

	member := h.limit(id, "member", "GET /v2/userinfo")
	if member == nil || member["exhaustedUntil"] != midnight.Format(time.RFC3339) || !strings.Contains(member["reason"].(string), "APPLICATION_AND_MEMBER DAY") || len(h.limits(id)) != 1 {
		t.Fatalf("the datasource shows %v", h.limits(id))
	}
	h.works(otherMember)
	if l := h.limits(otherMember); l != nil {
		t.Fatalf("another member's datasource shows %v", l)
	}

	h.clk.Advance(midnight.Sub(h.clk.Now()))
	h.works(id)
	if l := h.limits(id); l != nil {
		t.Fatalf("after midnight UTC the datasource shows %v", l)
	}
}

// TestAppDailyLimit: LinkedIn says the app's daily limit is reached; every
// datasource of that app is refused without sending, whoever authorized
// it, while a datasource of another app still works.
func TestAppDailyLimit(t *testing.T) {
	h := newLimitsHarness(t)
	id := h.authorizedDatasource()
	otherMember := h.memberDatasource("aW5vdGhlcg")
	otherApp := h.partnerDatasource(`["openid","profile","email","w_member_social"]`)

	h.f.inject("/v2/userinfo", throttled(appDayLimit))
	if status, _, _ := h.call(otherMember); status != 429 {
		t.Fatalf("LinkedIn's 429: %d", status)
	}
	midnight := quota.NextMidnightUTC(h.clk.Now())
	secs := secondsUntil(h.clk.Now(), midnight)
	h.refusedUnsent(id, secs, "app "+sandbox.ClientID, "daily limit", midnight.Format(time.RFC3339))
	h.refusedUnsent(otherMember, secs)
	for _, ds := range []string{id, otherMember} {
		if app := h.limit(ds, "app", "GET /v2/userinfo"); app == nil || app["exhaustedUntil"] != midnight.Format(time.RFC3339) {
			t.Fatalf("%s shows %v", ds, h.limits(ds))
		}
	}
	h.works(otherApp)
	if l := h.limits(otherApp); l != nil {
		t.Fatalf("a datasource of another app shows %v", l)
	}
}

// TestRetryAfterIsHonoured: a daily limit ends when LinkedIn's Retry-After
// says, not at midnight.
func TestRetryAfterIsHonoured(t *testing.T) {
	h := newLimitsHarness(t)
	id := h.authorizedDatasource()
	h.f.inject("/v2/userinfo", throttled(memberDayLimit, "Retry-After", "90"))
	if status, retryAfter, _ := h.call(id); status != 429 || retryAfter != "90" {
		t.Fatalf("LinkedIn's 429: %d, Retry-After %q", status, retryAfter)
	}
	h.refusedUnsent(id, 90, "daily limit")
	h.clk.Advance(90 * time.Second)
	h.works(id)
}

// TestShortThrottle: a 429 that names no daily limit pauses only that
// datasource, for LinkedIn's Retry-After or a few seconds; the same member
// and app go on through other datasources.
func TestShortThrottle(t *testing.T) {
	h := newLimitsHarness(t)
	id := h.authorizedDatasource()
	sameMemberAndApp := h.authorizedDatasource()

	h.f.inject("/v2/userinfo", throttled(unnamedLimit, "Retry-After", "7"))
	if status, _, _ := h.call(id); status != 429 {
		t.Fatalf("LinkedIn's 429: %d", status)
	}
	h.refusedUnsent(id, 7, "without naming a daily limit")
	if h.limit(id, "datasource", "GET /v2/userinfo") == nil {
		t.Fatalf("the pause is not shown: %v", h.limits(id))
	}
	h.works(sameMemberAndApp)
	h.clk.Advance(7 * time.Second)
	h.works(id)

	h.f.inject("/v2/userinfo", throttled(unnamedLimit))
	if status, _, _ := h.call(id); status != 429 {
		t.Fatalf("LinkedIn's 429: %d", status)
	}
	h.refusedUnsent(id, int(quota.ShortPause/time.Second))
	h.clk.Advance(quota.ShortPause)
	h.works(id)
}

// communityDatasource is authorized through the sandbox's Community
// Management app, by the sandbox's member or, when sub is set, by another.
func (h *limitsHarness) communityDatasource(sub string) string {
	h.t.Helper()
	_, ds := h.do("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Pages","config":{"scopes":["r_basicprofile","w_member_social","w_organization_social","r_organization_social","rw_organization_admin"],"clientId":"`+sandbox.CommunityClientID+`","clientSecret":"`+sandbox.CommunityClientSecret+`"}}`)
	id := ds["id"].(string)
	if sub != "" {
		h.f.inject("/v2/me", body(200, "application/json", `{"id":"`+sub+`","localizedFirstName":"Jane","localizedLastName":"Roe"}`))
	}
	if who, _ := h.authorize(id)["authorizedAs"].(map[string]any); who["sub"] != cmp.Or(sub, "782bbtaQ") {
		h.t.Fatalf("authorized as %v", who)
	}
	return id
}

// TestLimitsArePerEndpoint: LinkedIn's limits are per endpoint, so a 429
// to a post pauses posting only, for whom LinkedIn's message names: the
// member in that app (every datasource they authorized there), the whole
// app (every member's), or, for a short pause, the datasource. Reads go
// on, and so does posting for those the limit is not theirs.
func TestLimitsArePerEndpoint(t *testing.T) {
	cases := []struct {
		name, command, path, answer, scope, endpoint string
		// The next post is refused unsent on the datasource of the same
		// member and app, another member's in that app, or not.
		sameMember, otherMember bool
	}{
		{"member's daily limit of sharePost", "sharePost", "/rest/posts", memberDayLimit, "member", "POST /rest/posts", true, false},
		{"member's daily limit of createPost", "createPost", "/v2/ugcPosts", memberDayLimit, "member", "POST /v2/ugcPosts", true, false},
		{"app's daily limit of createPost", "createPost", "/v2/ugcPosts", appDayLimit, "app", "POST /v2/ugcPosts", true, true},
		{"a short pause of sharePost", "sharePost", "/rest/posts", unnamedLimit, "datasource", "POST /rest/posts", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newLimitsHarness(t)
			// A Community Management app's, so the member may read posts.
			id := h.communityDatasource("")
			sameMember := h.communityDatasource("")
			otherMember := h.communityDatasource("aW5vdGhlcg")
			otherApp := h.authorizedDatasource()
			params := `{"author":"person:782bbtaQ","commentary":"Hello","lifecycleState":"PUBLISHED","visibility":"PUBLIC"}`
			if c.command == "createPost" {
				params = `{"author":"person:782bbtaQ","text":"Hello","lifecycleState":"PUBLISHED","visibility":"PUBLIC"}`
			}
			earlier := h.mustExecute(id, "sharePost", `{"author":"person:782bbtaQ","commentary":"Before"}`)["id"].(string)

			// post says whether a post on ds reached LinkedIn, and how
			// it was answered.
			post := func(ds string) (sent bool, code, msg string) {
				h.t.Helper()
				h.f.inject(c.path)
				_, env := h.execute(ds, c.command, params)
				code, msg = errorOf(env)
				return h.f.count(c.path) == 1, code, msg
			}
			h.f.inject(c.path, throttled(c.answer))
			if sent, code, _ := post(id); !sent || code != "rate_limited" {
				t.Fatalf("LinkedIn's 429: sent %v, %s", sent, code)
			}
			// The answer was the fault's: the plan is used up.
			sent, code, msg := post(id)
			if sent || code != "rate_limited" || !strings.Contains(msg, c.endpoint) || !strings.Contains(msg, "this call was not sent to LinkedIn") {
				t.Fatalf("the same post again: sent %v, %s %q", sent, code, msg)
			}
			if l := h.limit(id, c.scope, c.endpoint); l == nil || len(h.limits(id)) != 1 {
				t.Fatalf("the datasource shows %v", h.limits(id))
			}

			// Reads go on for the same datasource.
			h.works(id)
			h.mustExecute(id, "getPost", `{"post":"`+earlier+`"}`)

			for _, other := range []struct {
				name   string
				id     string
				paused bool
			}{{"the same member's other datasource", sameMember, c.sameMember}, {"another member's", otherMember, c.otherMember}, {"another app's", otherApp, false}} {
				sent, code, msg := post(other.id)
				switch {
				case other.paused && (sent || code != "rate_limited"):
					t.Errorf("%s posted: sent %v, %s %q", other.name, sent, code, msg)
				case !other.paused && (!sent || code == "rate_limited"):
					t.Errorf("%s could not post: sent %v, %s %q", other.name, sent, code, msg)
				}
				if other.paused != (h.limit(other.id, c.scope, c.endpoint) != nil) {
					t.Errorf("%s shows %v", other.name, h.limits(other.id))
				}
				h.works(other.id)
			}
		})
	}
}

// TestExecutesTakeTurns: with PLUGIN_SERVER_MAX_EXECUTES busy, a JSON
// execute waits its turn up to the call timeout, then gets rate_limited
// having sent nothing; a streamed file does not wait for a worker.
func TestExecutesTakeTurns(t *testing.T) {
	f := newFaultyLinkedIn(t)
	h := startHarness(t, withEnv(sandbox.Env(f.srv.URL), map[string]string{
		"PLUGIN_SERVER_MAX_EXECUTES": "1", "PLUGIN_SERVER_CALL_TIMEOUT": "300ms", "PLUGIN_SERVER_RATE_LIMIT": "0",
	}), app.Options{})
	id := h.authorizedDatasource()
	held, _ := h.register(id)
	heldURL, _ := url.Parse(held)
	entered, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	defer free()
	f.inject(heldURL.Path, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		close(entered)
		<-release
		w.WriteHeader(201)
	})

	// An upload sent as JSON holds the only worker until LinkedIn answers.
	first := make(chan int, 1)
	go func() {
		status, _ := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"uploadMedia","params":{"uploadUrl":"`+held+`","data":"aGVsbG8="}}`)
		first <- status
	}()
	select {
	case <-entered:
	case status := <-first:
		t.Fatalf("the upload did not reach LinkedIn: %d", status)
	}

	req, _ := http.NewRequest("POST", h.srv.URL+"/v1/datasources/"+id+"/execute", strings.NewReader(`{"command":"getUserInfo"}`))
	req.Header.Set("Authorization", "Bearer "+builder)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Error struct{ Code string } }
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if resp.StatusCode != 429 || env.Error.Code != "rate_limited" || resp.Header.Get("Retry-After") != "1" || f.count("/v2/userinfo") != 0 {
		t.Fatalf("an execute while every worker is busy: %d %+v, Retry-After %q, userinfo calls %d",
			resp.StatusCode, env, resp.Header.Get("Retry-After"), f.count("/v2/userinfo"))
	}

	other, _ := url.Parse(held)
	other.Path += "-other" // the emulator takes any upload path of its host
	if status, env := h.upload(id, "command=uploadMedia&uploadUrl="+url.QueryEscape(other.String()), "image/png", strings.NewReader("png"), 3); status != 200 {
		t.Fatalf("a streamed upload while every worker is busy: %d %s", status, env)
	}

	free()
	if status := <-first; status != 200 {
		t.Fatalf("the upload that held the worker: %d", status)
	}
	if status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getUserInfo"}`); status != 200 {
		t.Fatalf("once the worker is free: %d %v", status, env["error"])
	}
}
