package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	ps "pluginserver"
	"pluginserver/plugin"
)

// TestTheReadCache runs steps against one executor whose LinkedIn answers
// at once, and checks after each whether LinkedIn was called and whether
// the answer came from the cache, with its age.
func TestTheReadCache(t *testing.T) {
	type step struct {
		name    string
		ds      string // "a", "b" (another datasource), "a2" (a changed), "a3" (a's token changed), "off" (readCacheSeconds 0)
		command string
		noCache bool
		wait    time.Duration
		answer  int // LinkedIn's status; 200 when 0
		called  bool
		hit     bool
		age     time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a read is kept for its time, with its age", []step{
			{name: "first", ds: "a", called: true},
			{name: "again", ds: "a", wait: 7 * time.Second, hit: true, age: 7 * time.Second},
			{name: "later", ds: "a", wait: 52 * time.Second, hit: true, age: 59 * time.Second},
			{name: "expired", ds: "a", wait: time.Second, called: true},
			{name: "kept anew", ds: "a", hit: true},
		}},
		{"no-cache skips the cache and refreshes it", []step{
			{name: "first", ds: "a", called: true},
			{name: "no-cache", ds: "a", wait: 30 * time.Second, noCache: true, called: true},
			{name: "refreshed", ds: "a", wait: 40 * time.Second, hit: true, age: 40 * time.Second},
		}},
		{"a write clears the datasource's reads", []step{
			{name: "read", ds: "a", called: true},
			{name: "another datasource's", ds: "b", called: true},
			{name: "write", ds: "a", command: "createPost", called: true},
			{name: "read after", ds: "a", called: true},
			{name: "the other datasource's kept", ds: "b", hit: true},
		}},
		{"a refused write clears them too", []step{
			{name: "read", ds: "a", called: true},
			{name: "write refused", ds: "a", command: "createPost", answer: 422, called: true},
			{name: "read after", ds: "a", called: true},
		}},
		{"datasources never share", []step{
			{name: "a", ds: "a", called: true},
			{name: "b", ds: "b", called: true},
			{name: "same id, other workspace", ds: "other", called: true},
			{name: "b again", ds: "b", hit: true},
		}},
		{"a change of the datasource is never served stale", []step{
			{name: "read", ds: "a", called: true},
			{name: "config changed", ds: "a2", called: true},
			{name: "token changed", ds: "a3", called: true},
			{name: "kept under the new token", ds: "a3", hit: true},
		}},
		{"only successes are kept", []step{
			{name: "refused", ds: "a", answer: 403, called: true},
			{name: "again", ds: "a", called: true},
			{name: "now kept", ds: "a", hit: true},
		}},
		{"nothing is kept unless the config asks", []step{
			{name: "read", ds: "off", called: true},
			{name: "again", ds: "off", called: true},
		}},
		{"a disconnected datasource is not answered from the cache", []step{
			{name: "read", ds: "a", called: true},
			{name: "disconnected", ds: "gone", called: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate()
			close(g.open)
			e := testExecutor(t, g)
			now := time.Unix(1_800_000_000, 0)
			e.Now = func() time.Time { return now }
			datasources := map[string]*ps.Datasource{"a": authorized("a", 60), "b": authorized("b", 60), "off": authorized("off", 0)}
			datasources["other"] = authorized("a", 60)
			datasources["other"].Workspace = "other"
			datasources["a2"] = authorized("a", 60)
			datasources["a2"].UpdatedAt = datasources["a2"].UpdatedAt.Add(time.Second)
			datasources["a3"] = authorized("a", 60)
			datasources["a3"].Token.Version = 2
			datasources["gone"] = authorized("a", 60)
			datasources["gone"].Token = nil
			for i, s := range tt.steps {
				now = now.Add(s.wait)
				before := g.count("GET") + g.count("POST")
				g.mu.Lock()
				g.status, g.body = 200, fmt.Sprintf(`{"sub":"answer %d"}`, i)
				if s.answer != 0 {
					g.status = s.answer
				}
				g.mu.Unlock()
				req := Request{Command: "getUserInfo", NoCache: s.noCache}
				if s.command == "createPost" {
					req = Request{Command: "createPost", Params: json.RawMessage(writeParams)}
				}
				var age time.Duration = -1
				req.OnCacheHit = func(a time.Duration) { age = a }
				env, _ := e.Execute(context.Background(), datasources[s.ds], req)
				called := g.count("GET")+g.count("POST") > before
				if called != s.called || (env.Meta.Cache == "hit") != s.hit || s.hit && age != s.age || !s.hit && age != -1 {
					t.Fatalf("%s: called %v, cache %q, age %v; want called %v, hit %v, age %v (%+v)", s.name, called, env.Meta.Cache, age, s.called, s.hit, s.age, env)
				}
				if s.hit && (env.Status != 200 || env.Meta.LinkedInRequestID != "" || env.Meta.Coalesced || !strings.HasPrefix(string(env.Output), `{"sub":"answer `)) {
					t.Fatalf("%s: a hit answered %+v", s.name, env)
				}
			}
		})
	}
}

// TestTheCacheIsBounded: the answers of all datasources together stay
// within the total, each datasource's within its share, the least
// recently used going first.
func TestTheCacheIsBounded(t *testing.T) {
	answer := func(n int) *plugin.Envelope {
		return &plugin.Envelope{Status: 200, Output: json.RawMessage(`"` + strings.Repeat("x", n) + `"`)}
	}
	now := time.Unix(1_800_000_000, 0)
	keep := func(c *readCache, owner, key string) {
		c.end(owner, "g", c.begin(owner, "g"), key, answer(700), true, now)
	}
	has := func(c *readCache, owner, key string) bool {
		_, _, ok := c.get(owner, "g", key, time.Minute, now)
		return ok
	}
	// Each entry costs about 1 KiB: 700 bytes of output, the overhead, the key.
	t.Run("each datasource's share", func(t *testing.T) {
		c := &readCache{max: 10 << 10, each: 3 << 10}
		for i := range 4 {
			keep(c, "busy", fmt.Sprint("k", i))
		}
		keep(c, "quiet", "k0")
		if has(c, "busy", "k0") || !has(c, "busy", "k1") || !has(c, "busy", "k3") || !has(c, "quiet", "k0") {
			t.Fatal("the busy datasource's oldest answer should have gone, and only it")
		}
		if total, _ := c.held(); total > 4<<10 {
			t.Fatalf("held %d bytes", total)
		}
	})
	t.Run("the total, least recently used first", func(t *testing.T) {
		c := &readCache{max: 3 << 10, each: 3 << 10}
		keep(c, "a", "k0")
		keep(c, "b", "k0")
		keep(c, "c", "k0")
		has(c, "a", "k0") // used: b's is now the oldest
		keep(c, "d", "k0")
		if !has(c, "a", "k0") || has(c, "b", "k0") || !has(c, "c", "k0") || !has(c, "d", "k0") {
			t.Fatal("b's answer, the least recently used, should have gone")
		}
		if total, owners := c.held(); total > 3<<10 || owners != 3 {
			t.Fatalf("held %d bytes for %d datasources", total, owners)
		}
	})
	t.Run("an answer over the share is not kept", func(t *testing.T) {
		c := &readCache{max: 4 << 10, each: 1 << 10}
		c.end("a", "g", c.begin("a", "g"), "big", answer(2<<10), true, now)
		if total, owners := c.held(); total != 0 || owners != 0 {
			t.Fatalf("held %d bytes for %d datasources", total, owners)
		}
	})
	t.Run("a read begun before a write keeps nothing", func(t *testing.T) {
		c := &readCache{}
		began := c.begin("a", "g")
		c.wrote("a")
		c.end("a", "g", began, "k", answer(10), true, now)
		if has(c, "a", "k") {
			t.Fatal("kept an answer LinkedIn may have given before the write")
		}
		if _, owners := c.held(); owners != 0 {
			t.Fatalf("%d datasources remain", owners)
		}
	})
	t.Run("the default bounds", func(t *testing.T) {
		c := &readCache{}
		for i := range 40 {
			c.end("a", "g", c.begin("a", "g"), fmt.Sprint("k", i), answer(100<<10), true, now)
		}
		if total, _ := c.held(); total > readCacheShare || readCacheShare > readCacheBytes/4 {
			t.Fatalf("one datasource holds %d bytes of %d", total, readCacheBytes)
		}
	})
}
