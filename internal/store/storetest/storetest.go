// Package storetest is the conformance suite every store passes.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ps "pluginserver"
	"pluginserver/internal/store"
	"pluginserver/plugin"
)

// SeenWithin is how soon a change made through one Store is seen through
// another on the same database: replicas behave as one server.
const SeenWithin = 100 * time.Millisecond

// Run runs every conformance test against stores made by open, each on an
// empty database: a and b are two Stores on the same database, as two
// replicas would hold.
func Run(t *testing.T, open func(t *testing.T) (a, b store.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"DatasourceCRUD", testDatasourceCRUD},
		{"WorkspaceIsolation", testWorkspaceIsolation},
		{"TokenRoundTrip", testTokenRoundTrip},
		{"AuthStateSingleUse", testAuthStateSingleUse},
		{"DeleteDropsAuthStates", testDeleteDropsAuthStates},
		{"RefreshClaim", testRefreshClaim},
		{"Problem", testProblem},
		{"ExpiringTokens", testExpiringTokens},
		{"CountAuthStatuses", testCountAuthStatuses},
		{"Reseal", testReseal},
		{"Idempotency", testIdempotency},
		{"ReadsAreCopies", testReadsAreCopies},
		{"Learned", testLearned},
		{"AuthStateExpiry", testAuthStateExpiry},
		{"PurgeIdempotent", testPurgeIdempotent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := open(t)
			tt.fn(t, a)
		})
	}
	// These need two Stores on one database.
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, a, b store.Store)
	}{
		{"ConcurrentAuthStateTake", testConcurrentAuthStateTake},
		{"ConcurrentRefresh", testConcurrentRefresh},
		{"ConcurrentIdempotency", testConcurrentIdempotency},
		{"ChangesSeenByAnotherStore", testChangesSeenByAnotherStore},
		{"FactsShared", testFacts},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := open(t)
			tt.fn(t, a, b)
		})
	}
}

var now = time.UnixMilli(time.Now().UnixMilli()).UTC()

// NewDatasource is a datasource ready to be created.
func NewDatasource(workspace, id string) *ps.Datasource {
	return &ps.Datasource{ID: id, Workspace: workspace, Plugin: "linkedin", Name: "ds " + id,
		Config: json.RawMessage(`{"scopes":["openid"]}`), CreatedAt: now, UpdatedAt: now}
}

func isNotFound(err error) bool {
	var e *plugin.Error
	return errors.As(err, &e) && e.Code == plugin.NotFound
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testDatasourceCRUD(t *testing.T, s store.Store) {
	ctx := context.Background()
	d := NewDatasource("w1", "ds1")
	d.ClientSecret = []byte{1, 2, 3}
	must(t, s.CreateDatasource(ctx, d))
	if err := s.CreateDatasource(ctx, d); err == nil {
		t.Fatal("second create with the same id succeeded")
	}
	got, err := s.Datasource(ctx, "w1", "ds1")
	must(t, err)
	if got.Name != d.Name || string(got.Config) != string(d.Config) || !got.CreatedAt.Equal(now) || string(got.ClientSecret) != "\x01\x02\x03" || got.Token != nil {
		t.Fatalf("read back %+v, want %+v", got, d)
	}
	got.Name, got.Config, got.ClientSecret = "renamed", json.RawMessage(`{}`), nil
	must(t, s.UpdateDatasource(ctx, got))
	again, err := s.Datasource(ctx, "w1", "ds1")
	must(t, err)
	if again.Name != "renamed" || string(again.Config) != "{}" || again.ClientSecret != nil {
		t.Fatalf("update not kept: %+v", again)
	}
	for i := range 3 {
		must(t, s.CreateDatasource(ctx, NewDatasource("w1", fmt.Sprintf("ds%d", i+2))))
	}
	list, err := s.Datasources(ctx, "w1")
	must(t, err)
	if len(list) != 4 {
		t.Fatalf("listed %d datasources, want 4", len(list))
	}
	must(t, s.DeleteDatasource(ctx, "w1", "ds1"))
	if _, err := s.Datasource(ctx, "w1", "ds1"); !isNotFound(err) {
		t.Fatalf("deleted datasource: err = %v, want not_found", err)
	}
	if err := s.DeleteDatasource(ctx, "w1", "ds1"); !isNotFound(err) {
		t.Fatalf("second delete: err = %v, want not_found", err)
	}
}

func testWorkspaceIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateDatasource(ctx, NewDatasource("w1", "mine")))
	if _, err := s.Datasource(ctx, "w2", "mine"); !isNotFound(err) {
		t.Fatalf("other workspace read: err = %v, want not_found", err)
	}
	other := NewDatasource("w2", "mine")
	other.Name = "hijack"
	for name, err := range map[string]error{
		"update": s.UpdateDatasource(ctx, other),
		"token":  s.SetToken(ctx, "w2", "mine", &ps.Token{Access: []byte("x")}),
		"delete": s.DeleteDatasource(ctx, "w2", "mine"),
	} {
		if !isNotFound(err) {
			t.Errorf("other workspace %s: err = %v, want not_found", name, err)
		}
	}
	list, err := s.Datasources(ctx, "w2")
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("workspace w2 lists %d datasources of w1", len(list))
	}
	d, err := s.Datasource(ctx, "w1", "mine")
	must(t, err)
	if d.Name != "ds mine" || d.Token != nil {
		t.Fatalf("another workspace changed the datasource: %+v", d)
	}
}

func testTokenRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateDatasource(ctx, NewDatasource("w1", "ds")))
	tok := &ps.Token{Access: []byte("sealed-access"), Refresh: []byte("sealed-refresh"),
		ExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(365 * 24 * time.Hour),
		Scopes: []string{"openid", "w_member_social"}, Member: &ps.Member{Sub: "782bbtaQ", Name: "John Doe", Email: "doe@email.com"}}
	must(t, s.SetToken(ctx, "w1", "ds", tok))
	d, err := s.Datasource(ctx, "w1", "ds")
	must(t, err)
	got := d.Token
	if got == nil || string(got.Access) != "sealed-access" || string(got.Refresh) != "sealed-refresh" ||
		!got.ExpiresAt.Equal(tok.ExpiresAt) || !got.RefreshExpiresAt.Equal(tok.RefreshExpiresAt) ||
		!slices.Equal(got.Scopes, tok.Scopes) || *got.Member != *tok.Member {
		t.Fatalf("token read back %+v, want %+v", got, tok)
	}
	must(t, s.SetToken(ctx, "w1", "ds", &ps.Token{Access: []byte("a2")}))
	d, err = s.Datasource(ctx, "w1", "ds")
	must(t, err)
	if d.Token.Refresh != nil || !d.Token.ExpiresAt.IsZero() || d.Token.Member != nil {
		t.Fatalf("replaced token kept old fields: %+v", d.Token)
	}
	must(t, s.SetToken(ctx, "w1", "ds", nil))
	d, err = s.Datasource(ctx, "w1", "ds")
	must(t, err)
	if d.Token != nil {
		t.Fatalf("forgotten token still there: %+v", d.Token)
	}
}

func testAuthStateSingleUse(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateDatasource(ctx, NewDatasource("w1", "ds")))
	a := &ps.AuthState{StateHash: "h1", Workspace: "w1", DatasourceID: "ds", ReturnURL: "https://app.example/back", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	must(t, s.SaveAuthState(ctx, a))
	got, err := s.TakeAuthState(ctx, "h1")
	must(t, err)
	if *got != *a {
		t.Fatalf("state read back %+v, want %+v", got, a)
	}
	if _, err := s.TakeAuthState(ctx, "h1"); !isNotFound(err) {
		t.Fatalf("second take: err = %v, want not_found", err)
	}
	if _, err := s.TakeAuthState(ctx, "unknown"); !isNotFound(err) {
		t.Fatalf("unknown state: err = %v, want not_found", err)
	}
}

func testDeleteDropsAuthStates(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateDatasource(ctx, NewDatasource("w1", "ds")))
	must(t, s.SaveAuthState(ctx, &ps.AuthState{StateHash: "h", Workspace: "w1", DatasourceID: "ds", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}))
	must(t, s.DeleteDatasource(ctx, "w1", "ds"))
	if _, err := s.TakeAuthState(ctx, "h"); !isNotFound(err) {
		t.Fatalf("state of a deleted datasource: err = %v, want not_found", err)
	}
}

func version(t *testing.T, s store.Store, workspace, id string) int64 {
	t.Helper()
	d, err := s.Datasource(context.Background(), workspace, id)
	must(t, err)
	if d.Token == nil {
		t.Fatal("no token")
	}
	return d.Token.Version
}

func testRefreshClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateDatasource(ctx, NewDatasource("w1", "ds")))
	if ok, err := s.ClaimRefresh(ctx, "w1", "ds", 0, "a", now, now.Add(time.Minute)); ok || err != nil {
		t.Fatalf("claimed a datasource without a token: %v %v", ok, err)
	}
	must(t, s.SetToken(ctx, "w1", "ds", &ps.Token{Access: []byte("a1"), Refresh: []byte("r1")}))
	v := version(t, s, "w1", "ds")
	claim := func(owner string, at time.Time) bool {
		ok, err := s.ClaimRefresh(ctx, "w1", "ds", v, owner, at, at.Add(time.Minute))
		must(t, err)
		return ok
	}
	if !claim("a", now) {
		t.Fatal("first claim refused")
	}
	if claim("b", now.Add(30*time.Second)) {
		t.Fatal("a second owner claimed while the first claim holds")
	}
	if !claim("b", now.Add(2*time.Minute)) {
		t.Fatal("an expired claim was not taken over")
	}
	if ok, _ := s.SaveRefreshed(ctx, "w1", "ds", v, "a", &ps.Token{Access: []byte("a2")}); ok {
		t.Fatal("the owner of a lost claim saved")
	}
	if ok, err := s.SaveRefreshed(ctx, "w1", "ds", v, "b", &ps.Token{Access: []byte("a3"), Refresh: []byte("r1")}); !ok || err != nil {
		t.Fatalf("the claim's owner could not save: %v", err)
	}
	d, _ := s.Datasource(ctx, "w1", "ds")
	if string(d.Token.Access) != "a3" || d.Token.Version != v+1 {
		t.Fatalf("after refresh: %+v", d.Token)
	}
	if claim("c", now.Add(time.Hour)) {
		t.Fatal("a claim on a replaced version succeeded")
	}
	if ok, _ := s.SaveRefreshed(ctx, "w1", "ds", v, "b", &ps.Token{Access: []byte("a4")}); ok {
		t.Fatal("a second save over the same version succeeded")
	}
	if ok, _ := s.ClaimRefresh(ctx, "w2", "ds", v+1, "x", now, now.Add(time.Minute)); ok {
		t.Fatal("another workspace claimed the datasource")
	}
}

func testProblem(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateDatasource(ctx, NewDatasource("w1", "ds")))
	must(t, s.SetToken(ctx, "w1", "ds", &ps.Token{Access: []byte("a1")}))
	v := version(t, s, "w1", "ds")
	p := ps.AuthProblem{Status: ps.StatusError, Reason: "invalid_grant: revoked", Failures: 2, RetryAt: now.Add(time.Minute)}
	must(t, s.SetProblem(ctx, "w1", "ds", v, p))
	d, _ := s.Datasource(ctx, "w1", "ds")
	if d.Problem != p || d.AuthStatus(now) != ps.StatusError {
		t.Fatalf("problem read back %+v", d.Problem)
	}
	must(t, s.SetToken(ctx, "w1", "ds", &ps.Token{Access: []byte("a2")}))
	must(t, s.SetProblem(ctx, "w1", "ds", v, ps.AuthProblem{Status: ps.StatusExpired}))
	d, _ = s.Datasource(ctx, "w1", "ds")
	if d.Problem != (ps.AuthProblem{}) {
		t.Fatalf("a new token kept or got the old token's problem: %+v", d.Problem)
	}
}

func testExpiringTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	soon, later := now.Add(3*24*time.Hour), now.Add(30*24*time.Hour)
	tokens := map[string]*ps.Token{
		"soon":        {Access: []byte("a"), ExpiresAt: soon},
		"later":       {Access: []byte("a"), ExpiresAt: later},
		"refreshable": {Access: []byte("a"), Refresh: []byte("r"), ExpiresAt: soon, RefreshExpiresAt: later},
	}
	for id, tok := range tokens {
		must(t, s.CreateDatasource(ctx, NewDatasource("w-"+id, id)))
		must(t, s.SetToken(ctx, "w-"+id, id, tok))
	}
	ids := func() []string {
		list, err := s.ExpiringTokens(ctx, now.Add(7*24*time.Hour))
		must(t, err)
		var out []string
		for _, d := range list {
			out = append(out, d.ID)
		}
		return out
	}
	if got := ids(); !slices.Equal(got, []string{"soon"}) {
		t.Fatalf("expiring %v, want [soon]", got)
	}
	must(t, s.MarkExpiringAnnounced(ctx, "w-soon", "soon", version(t, s, "w-soon", "soon")))
	if got := ids(); len(got) != 0 {
		t.Fatalf("announced again: %v", got)
	}
	must(t, s.SetToken(ctx, "w-soon", "soon", &ps.Token{Access: []byte("b"), ExpiresAt: soon}))
	if got := ids(); !slices.Equal(got, []string{"soon"}) {
		t.Fatalf("a new token's expiry is not announced: %v", got)
	}
}

// testCountAuthStatuses checks the aggregate query agrees with AuthStatus
// on a datasource in each status, and on each edge between them.
func testCountAuthStatuses(t *testing.T, s store.Store) {
	ctx := context.Background()
	if counts, err := s.CountAuthStatuses(ctx, now); err != nil || len(counts) != 0 {
		t.Fatalf("an empty store counts %v, %v", counts, err)
	}
	soon, later := now.Add(3*24*time.Hour), now.Add(30*24*time.Hour)
	tokens := map[string]*ps.Token{
		"bare":          nil,
		"forever":       {Access: []byte("a")},
		"later":         {Access: []byte("a"), ExpiresAt: later},
		"soon":          {Access: []byte("a"), ExpiresAt: soon},
		"at-window":     {Access: []byte("a"), ExpiresAt: now.Add(ps.ExpiringWindow)},
		"gone":          {Access: []byte("a"), ExpiresAt: now.Add(-time.Minute)},
		"now":           {Access: []byte("a"), ExpiresAt: now},
		"refreshable":   {Access: []byte("a"), Refresh: []byte("r"), ExpiresAt: soon, RefreshExpiresAt: later},
		"refresh-ever":  {Access: []byte("a"), Refresh: []byte("r"), ExpiresAt: now.Add(-time.Hour)},
		"refresh-gone":  {Access: []byte("a"), Refresh: []byte("r"), ExpiresAt: soon, RefreshExpiresAt: now},
		"refresh-stale": {Access: []byte("a"), Refresh: []byte("r"), ExpiresAt: now.Add(-time.Hour), RefreshExpiresAt: now.Add(-time.Minute)},
		"problem":       {Access: []byte("a"), Refresh: []byte("r")},
		"refused":       {Access: []byte("a"), ExpiresAt: later},
	}
	for id, tok := range tokens {
		must(t, s.CreateDatasource(ctx, NewDatasource("w-"+id, id)))
		if tok != nil {
			must(t, s.SetToken(ctx, "w-"+id, id, tok))
		}
	}
	must(t, s.SetProblem(ctx, "w-problem", "problem", version(t, s, "w-problem", "problem"), ps.AuthProblem{Status: ps.StatusError, Reason: "invalid_grant"}))
	must(t, s.SetProblem(ctx, "w-refused", "refused", version(t, s, "w-refused", "refused"), ps.AuthProblem{Status: ps.StatusExpired}))
	want := map[string]int64{}
	for id := range tokens {
		d, err := s.Datasource(ctx, "w-"+id, id)
		must(t, err)
		want[d.AuthStatus(now)]++
	}
	got, err := s.CountAuthStatuses(ctx, now)
	must(t, err)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counted %v, AuthStatus says %v", got, want)
	}
	if len(want) != 5 {
		t.Fatalf("the datasources cover %d statuses, want all 5: %v", len(want), want)
	}
}

func testReseal(t *testing.T, s store.Store) {
	ctx := context.Background()
	if check, err := s.KeyCheck(ctx); check != nil || err != nil {
		t.Fatalf("a new store has a key check: %q %v", check, err)
	}
	must(t, s.SetKeyCheck(ctx, []byte("check-1")))
	d := NewDatasource("w1", "ds")
	d.ClientSecret = []byte("secret")
	must(t, s.CreateDatasource(ctx, d))
	must(t, s.SetToken(ctx, "w1", "ds", &ps.Token{Access: []byte("access"), Refresh: []byte("refresh")}))
	must(t, s.CreateDatasource(ctx, NewDatasource("w2", "bare")))
	seen := map[string]string{}
	n, err := s.Reseal(ctx, func(owner, field string, sealed []byte) ([]byte, error) {
		seen[owner+"/"+field] = string(sealed)
		return append([]byte("new-"), sealed...), nil
	})
	must(t, err)
	want := map[string]string{"ds/client_secret": "secret", "ds/access_token": "access", "ds/refresh_token": "refresh", "server/key_check": "check-1"}
	if n != 4 || len(seen) != 4 {
		t.Fatalf("resealed %d values: %v", n, seen)
	}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("%s: saw %q, want %q", k, seen[k], v)
		}
	}
	got, _ := s.Datasource(ctx, "w1", "ds")
	check, _ := s.KeyCheck(ctx)
	if string(got.ClientSecret) != "new-secret" || string(got.Token.Access) != "new-access" || string(got.Token.Refresh) != "new-refresh" || string(check) != "new-check-1" {
		t.Fatalf("after reseal: %q %q %q %q", got.ClientSecret, got.Token.Access, got.Token.Refresh, check)
	}
	// A failure half way leaves everything as it was.
	_, err = s.Reseal(ctx, func(owner, field string, sealed []byte) ([]byte, error) {
		if field == "refresh_token" {
			return nil, fmt.Errorf("cannot open")
		}
		return []byte("half"), nil
	})
	if err == nil {
		t.Fatal("a failing reseal succeeded")
	}
	got, _ = s.Datasource(ctx, "w1", "ds")
	if check, _ = s.KeyCheck(ctx); string(got.ClientSecret) != "new-secret" || string(got.Token.Access) != "new-access" || string(check) != "new-check-1" {
		t.Fatalf("a failed reseal changed values: %q %q %q", got.ClientSecret, got.Token.Access, check)
	}
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := &ps.IdempotentRequest{Workspace: "w1", Key: "k1", RequestHash: "h1", CreatedAt: now, Deadline: now.Add(time.Minute)}
	got, created, err := s.BeginIdempotent(ctx, r, now.Add(-24*time.Hour))
	if err != nil || !created || got != r {
		t.Fatalf("first begin: %v %v", created, err)
	}
	got, created, err = s.BeginIdempotent(ctx, &ps.IdempotentRequest{Workspace: "w1", Key: "k1", RequestHash: "h2", CreatedAt: now}, now.Add(-24*time.Hour))
	if err != nil || created || got.RequestHash != "h1" || got.State != "running" || !got.CreatedAt.Equal(now) || !got.Deadline.Equal(now.Add(time.Minute)) {
		t.Fatalf("second begin: %+v %v %v", got, created, err)
	}
	if _, created, _ := s.BeginIdempotent(ctx, &ps.IdempotentRequest{Workspace: "w2", Key: "k1", RequestHash: "h1", CreatedAt: now}, now.Add(-24*time.Hour)); !created {
		t.Fatal("a key of another workspace collided")
	}
	must(t, s.FinishIdempotent(ctx, "w1", "k1", 200, []byte(`{"status":201}`)))
	got, _, _ = s.BeginIdempotent(ctx, &ps.IdempotentRequest{Workspace: "w1", Key: "k1", RequestHash: "h1", CreatedAt: now}, now.Add(-24*time.Hour))
	if got.State != "done" || got.Status != 200 || string(got.Envelope) != `{"status":201}` {
		t.Fatalf("done: %+v", got)
	}
	must(t, s.ReleaseIdempotent(ctx, "w1", "k1"))
	if got, _, _ = s.BeginIdempotent(ctx, &ps.IdempotentRequest{Workspace: "w1", Key: "k1", RequestHash: "h1", CreatedAt: now}, now.Add(-24*time.Hour)); got.State != "done" {
		t.Fatal("release forgot a finished request")
	}
	// After 24 hours the key is free again.
	later := now.Add(25 * time.Hour)
	if _, created, _ := s.BeginIdempotent(ctx, &ps.IdempotentRequest{Workspace: "w1", Key: "k1", RequestHash: "h3", CreatedAt: later}, later.Add(-24*time.Hour)); !created {
		t.Fatal("an expired key was not reused")
	}
	must(t, s.ReleaseIdempotent(ctx, "w1", "k1"))
	if _, created, _ := s.BeginIdempotent(ctx, &ps.IdempotentRequest{Workspace: "w1", Key: "k1", RequestHash: "h4", CreatedAt: later}, later.Add(-24*time.Hour)); !created {
		t.Fatal("a released key was not free")
	}
	must(t, s.PurgeIdempotent(ctx, later.Add(time.Second)))
	if _, created, _ := s.BeginIdempotent(ctx, &ps.IdempotentRequest{Workspace: "w2", Key: "k1", RequestHash: "x", CreatedAt: later}, now.Add(-48*time.Hour)); !created {
		t.Fatal("purge kept an old request")
	}
}

// testReadsAreCopies: a store may keep what it read, but a caller that
// changes a datasource it was given changes nothing the next caller sees.
func testReadsAreCopies(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateDatasource(ctx, NewDatasource("w1", "ds")))
	must(t, s.SetToken(ctx, "w1", "ds", &ps.Token{Access: []byte("a"), Scopes: []string{"openid"}, Member: &ps.Member{Sub: "m"}}))
	for range 2 { // the second read may come from what the first kept
		d, err := s.Datasource(ctx, "w1", "ds")
		must(t, err)
		if d.Name != "ds ds" || d.Token.Scopes[0] != "openid" || d.Token.Member.Sub != "m" || d.Token.Version == 99 {
			t.Fatalf("a caller's change leaked into the store: %+v %+v", d, d.Token)
		}
		d.Name, d.Token.Scopes[0], d.Token.Member.Sub, d.Token.Version = "changed", "changed", "changed", 99
	}
}

func testLearned(t *testing.T, s store.Store) {
	ctx := context.Background()
	if v, err := s.Learned(ctx, "linkedin.version"); v != "" || err != nil {
		t.Fatalf("Learned before any = %q, %v; want empty", v, err)
	}
	must(t, s.SetLearned(ctx, "linkedin.version", "202610"))
	must(t, s.SetLearned(ctx, "linkedin.version", "202609"))
	must(t, s.SetLearned(ctx, "other.version", "1"))
	if v, err := s.Learned(ctx, "linkedin.version"); v != "202609" || err != nil {
		t.Fatalf("Learned = %q, %v; want the last value set, 202609", v, err)
	}
	// A learned key never reads the key check, whatever it is named.
	must(t, s.SetKeyCheck(ctx, []byte("check")))
	if v, _ := s.Learned(ctx, "key_check"); v != "" {
		t.Fatalf("Learned(key_check) = %q; want nothing", v)
	}
}

// testAuthStateExpiry: a state nobody came back with is forgotten by a
// later save once long expired; one expired a little while ago is still
// taken, so the caller can say it expired.
func testAuthStateExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateDatasource(ctx, NewDatasource("w1", "ds")))
	state := func(hash string, created time.Time) *ps.AuthState {
		return &ps.AuthState{StateHash: hash, Workspace: "w1", DatasourceID: "ds", CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute)}
	}
	longAgo := now.Add(-store.AuthStateKept - time.Hour)
	must(t, s.SaveAuthState(ctx, state("old", longAgo)))
	must(t, s.SaveAuthState(ctx, state("late", now.Add(-20*time.Minute))))
	must(t, s.SaveAuthState(ctx, state("fresh", now)))
	if _, err := s.TakeAuthState(ctx, "old"); !isNotFound(err) {
		t.Fatalf("a state expired %v ago: err = %v, want not_found", now.Sub(longAgo), err)
	}
	if a, err := s.TakeAuthState(ctx, "late"); err != nil || !a.ExpiresAt.Before(now) {
		t.Fatalf("a state expired 10 minutes ago: %+v, %v; want it, expired", a, err)
	}
	if _, err := s.TakeAuthState(ctx, "fresh"); err != nil {
		t.Fatalf("fresh state: %v", err)
	}
}

// testPurgeIdempotent: purge forgets what was recorded before the given
// time, running or done, and keeps what came after.
func testPurgeIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	begin := func(key string, at time.Time) (*ps.IdempotentRequest, bool) {
		got, created, err := s.BeginIdempotent(ctx, &ps.IdempotentRequest{Workspace: "w1", Key: key, RequestHash: "h", CreatedAt: at, Deadline: at.Add(time.Minute)}, now.Add(-48*time.Hour))
		must(t, err)
		return got, created
	}
	begin("old-running", now.Add(-25*time.Hour))
	begin("old-done", now.Add(-25*time.Hour))
	must(t, s.FinishIdempotent(ctx, "w1", "old-done", 200, []byte("{}")))
	begin("recent", now.Add(-time.Hour))
	must(t, s.FinishIdempotent(ctx, "w1", "recent", 200, []byte("{}")))
	must(t, s.PurgeIdempotent(ctx, now.Add(-24*time.Hour)))
	for _, key := range []string{"old-running", "old-done"} {
		if _, created := begin(key, now); !created {
			t.Errorf("purge kept %s", key)
		}
	}
	if got, created := begin("recent", now); created || got.State != "done" {
		t.Errorf("purge forgot a recent request: %+v", got)
	}
}

// race runs f in n goroutines started together, alternating the stores as
// requests spread over replicas would, and counts the calls that won.
func race(t *testing.T, stores []store.Store, n int, f func(s store.Store, i int) (bool, error)) int {
	t.Helper()
	var wg sync.WaitGroup
	var wins atomic.Int32
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			won, err := f(stores[i%len(stores)], i)
			if err != nil {
				errs <- err
			}
			if won {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return int(wins.Load())
}

func testConcurrentAuthStateTake(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	must(t, a.CreateDatasource(ctx, NewDatasource("w1", "ds")))
	must(t, a.SaveAuthState(ctx, &ps.AuthState{StateHash: "h", Workspace: "w1", DatasourceID: "ds", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}))
	takers := race(t, []store.Store{a, b}, 20, func(s store.Store, _ int) (bool, error) {
		_, err := s.TakeAuthState(ctx, "h")
		if isNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if takers != 1 {
		t.Fatalf("%d callers took the same state, want 1", takers)
	}
}

func testConcurrentRefresh(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	must(t, a.CreateDatasource(ctx, NewDatasource("w1", "ds")))
	must(t, a.SetToken(ctx, "w1", "ds", &ps.Token{Access: []byte("a0"), Refresh: []byte("r0")}))
	v := version(t, a, "w1", "ds")
	var winner atomic.Value
	saves := race(t, []store.Store{a, b}, 20, func(s store.Store, i int) (bool, error) {
		owner := fmt.Sprintf("owner-%d", i)
		if ok, err := s.ClaimRefresh(ctx, "w1", "ds", v, owner, now, now.Add(time.Minute)); !ok || err != nil {
			return false, err
		}
		ok, err := s.SaveRefreshed(ctx, "w1", "ds", v, owner, &ps.Token{Access: []byte(owner), Refresh: []byte("r1")})
		if ok {
			winner.Store(owner)
		}
		return ok, err
	})
	if saves != 1 {
		t.Fatalf("%d refreshers saved over version %d, want 1", saves, v)
	}
	// The winner saved through one store; the other sees it within
	// SeenWithin, as replicas do.
	for _, s := range []store.Store{a, b} {
		for start := time.Now(); ; time.Sleep(time.Millisecond) {
			d, err := s.Datasource(ctx, "w1", "ds")
			must(t, err)
			if d.Token.Version == v+1 && string(d.Token.Access) == winner.Load() {
				break
			}
			if time.Since(start) > SeenWithin {
				t.Fatalf("after the race: version %d access %q; want %d and %q", d.Token.Version, d.Token.Access, v+1, winner.Load())
			}
		}
	}
}

func testConcurrentIdempotency(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	var holders sync.Map
	begun := race(t, []store.Store{a, b}, 20, func(s store.Store, i int) (bool, error) {
		r := &ps.IdempotentRequest{Workspace: "w1", Key: "k", RequestHash: fmt.Sprintf("h%d", i), CreatedAt: now, Deadline: now.Add(time.Minute)}
		got, created, err := s.BeginIdempotent(ctx, r, now.Add(-24*time.Hour))
		if err == nil {
			holders.Store(got.RequestHash, true)
		}
		return created, err
	})
	n := 0
	holders.Range(func(any, any) bool { n++; return true })
	if begun != 1 || n != 1 {
		t.Fatalf("%d callers began the same key and %d records held it, want 1 and 1", begun, n)
	}
}

// testChangesSeenByAnotherStore: what one replica changes, another sees
// within SeenWithin, though it read the datasource before.
func testChangesSeenByAnotherStore(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	access := func(d *ps.Datasource) string {
		if d == nil || d.Token == nil {
			return ""
		}
		return string(d.Token.Access)
	}
	refresh := func() error {
		v := version(t, a, "w", "ds")
		if ok, err := a.ClaimRefresh(ctx, "w", "ds", v, "a", now, now.Add(time.Minute)); !ok || err != nil {
			return fmt.Errorf("claim: %v %v", ok, err)
		}
		_, err := a.SaveRefreshed(ctx, "w", "ds", v, "a", &ps.Token{Access: []byte("refreshed")})
		return err
	}
	rename := func() error {
		d := NewDatasource("w", "ds")
		d.Name = "renamed"
		return a.UpdateDatasource(ctx, d)
	}
	// Each step changes the datasource through a; seen tells whether what b
	// reads (nil: not found) shows the change.
	steps := []struct {
		name  string
		write func() error
		seen  func(d *ps.Datasource) bool
	}{
		{"create", func() error { return a.CreateDatasource(ctx, NewDatasource("w", "ds")) },
			func(d *ps.Datasource) bool { return d != nil }},
		{"authorize", func() error {
			return a.SetToken(ctx, "w", "ds", &ps.Token{Access: []byte("new"), Refresh: []byte("r")})
		}, func(d *ps.Datasource) bool { return access(d) == "new" }},
		{"refresh", refresh, func(d *ps.Datasource) bool { return access(d) == "refreshed" }},
		{"problem", func() error {
			return a.SetProblem(ctx, "w", "ds", version(t, a, "w", "ds"), ps.AuthProblem{Status: ps.StatusError, Reason: "r"})
		}, func(d *ps.Datasource) bool { return d != nil && d.Problem.Status == ps.StatusError }},
		{"rename", rename, func(d *ps.Datasource) bool { return d != nil && d.Name == "renamed" }},
		{"disconnect", func() error { return a.SetToken(ctx, "w", "ds", nil) },
			func(d *ps.Datasource) bool { return d != nil && d.Token == nil }},
		{"delete", func() error { return a.DeleteDatasource(ctx, "w", "ds") },
			func(d *ps.Datasource) bool { return d == nil }},
	}
	read := func() *ps.Datasource {
		d, err := b.Datasource(ctx, "w", "ds")
		if err != nil && !isNotFound(err) {
			t.Fatal(err)
		}
		return d
	}
	for _, step := range steps {
		read()
		read() // the second read may come from what the first kept
		must(t, step.write())
		for start := time.Now(); ; time.Sleep(time.Millisecond) {
			d := read()
			if step.seen(d) {
				break
			}
			if time.Since(start) > SeenWithin {
				t.Fatalf("%v after %s, the other store still reads %+v", SeenWithin, step.name, d)
			}
		}
	}
}

func testFacts(t *testing.T, s, other store.Store) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	must(t, s.ShareFact(ctx, ps.Fact{Origin: "a", Kind: "circuit", Key: "ds1", Value: "5 failures", Until: now.Add(time.Minute)}))
	must(t, s.ShareFact(ctx, ps.Fact{Origin: "a", Kind: "quota", Key: "app:1", Value: "day", Until: now.Add(-time.Second)}))
	must(t, other.ShareFact(ctx, ps.Fact{Origin: "b", Kind: "quota", Key: "member:1", Value: "day", Until: now.Add(time.Hour)}))
	facts, err := other.FactsSince(ctx, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 2 || facts[0].Key != "ds1" || facts[1].Key != "member:1" || !facts[1].Until.Equal(now.Add(time.Hour)) || facts[0].Origin != "a" {
		t.Fatalf("facts %+v; want the two not ended, oldest first", facts)
	}
	if later, _ := s.FactsSince(ctx, facts[0].ID, now); len(later) != 1 || later[0].Key != "member:1" {
		t.Fatalf("facts after the first: %+v", later)
	}
}
