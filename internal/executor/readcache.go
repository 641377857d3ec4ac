package executor

import (
	"bytes"
	"container/list"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	ps "pluginserver"
	"pluginserver/plugin"
)

// The read cache is each datasource's own: an answer kept for one is never
// given to another, of its workspace or any other. The memory is shared:
// all datasources together hold at most readCacheBytes, the least recently
// used answers going first, and each datasource may hold at most
// readCacheShare of it, its own least recently used answers going first,
// so one busy datasource cannot push every other's answers out.
const (
	readCacheBytes = 16 << 20
	readCacheShare = readCacheBytes / 8
	// entryOverhead is what an entry costs besides its bytes: the key, the
	// list and map slots, the headers map.
	entryOverhead = 256
)

// readCache keeps Read commands' successful answers per datasource, for
// as long as each datasource's config says (Plugin.ReadCache).
type readCache struct {
	// max and each are the bounds (readCacheBytes and readCacheShare when
	// 0); tests set them small.
	max, each int64

	mu   sync.Mutex
	size int64
	// all holds every entry, the most recently used first.
	all    list.List
	owners map[string]*cacheOwner
	tick   uint64
}

// cacheOwner is one datasource's part of the cache. It exists while it
// holds entries or a read that may store one is under way.
type cacheOwner struct {
	// gen is the datasource's generation its entries were answered
	// under: a change of its config or token starts a new one.
	gen string
	// since is the tick of the last write or change: a read begun before
	// it must not store what it got.
	since   uint64
	pending int
	size    int64
	// mine holds its entries, the most recently used first.
	mine    list.List
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	owner, key string
	at         time.Time
	status     int
	headers    map[string]string
	output     json.RawMessage
	size       int64
	all, mine  *list.Element
}

// writeGeneration names what a datasource's answers depend on: its config
// and its token (an authorize, disconnect or refresh changes UpdatedAt and
// the token's version).
func writeGeneration(b *bytes.Buffer, ds *ps.Datasource) {
	var n [40]byte
	gen := strconv.AppendInt(n[:0], ds.UpdatedAt.UnixNano(), 10)
	if ds.Token != nil {
		gen = strconv.AppendInt(append(gen, '.'), ds.Token.Version, 10)
	}
	b.Write(gen)
}

// owner finds a datasource's part, starting a new generation when the
// datasource changed; create makes one that does not exist.
func (c *readCache) owner(name, gen string, create bool) *cacheOwner {
	o := c.owners[name]
	if o == nil && create {
		if c.owners == nil {
			c.owners = map[string]*cacheOwner{}
		}
		c.tick++
		o = &cacheOwner{gen: gen, since: c.tick, entries: map[string]*cacheEntry{}}
		c.owners[name] = o
	}
	if o != nil && o.gen != gen {
		c.clear(o)
		o.gen = gen
	}
	return o
}

// get finds an answer kept less than ttl ago, and its age.
func (c *readCache) get(name, gen, key string, ttl time.Duration, now time.Time) (*cacheEntry, time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.owner(name, gen, false)
	if o == nil {
		return nil, 0, false
	}
	e := o.entries[key]
	if e == nil {
		return nil, 0, false
	}
	age := now.Sub(e.at)
	if age >= ttl || age < 0 {
		c.remove(e)
		c.prune(name, o)
		return nil, 0, false
	}
	c.all.MoveToFront(e.all)
	o.mine.MoveToFront(e.mine)
	return e, age, true
}

// begin says a read is being sent, and returns the tick end needs.
func (c *readCache) begin(name, gen string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.owner(name, gen, true)
	o.pending++
	c.tick++
	return c.tick
}

// end keeps a read's answer when keep says so and no write or change of
// the datasource came since the read began.
func (c *readCache) end(name, gen string, began uint64, key string, env *plugin.Envelope, keep bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.owners[name] // begin made it; pending keeps it
	o.pending--
	defer c.prune(name, o)
	if !keep || o.gen != gen || o.since > began {
		return
	}
	size := int64(entryOverhead + len(key) + len(env.Output))
	for k, v := range env.Headers {
		size += int64(len(k) + len(v))
	}
	if old := o.entries[key]; old != nil {
		c.remove(old)
	}
	each, most := c.bound(c.each, readCacheShare), c.bound(c.max, readCacheBytes)
	if size > min(each, most) {
		return
	}
	for o.size+size > each {
		c.remove(o.mine.Back().Value.(*cacheEntry))
	}
	for c.size+size > most {
		e := c.all.Back().Value.(*cacheEntry)
		c.remove(e)
		if e.owner != name {
			c.prune(e.owner, c.owners[e.owner])
		}
	}
	e := &cacheEntry{owner: name, key: key, at: now, status: env.Status, headers: env.Headers, output: env.Output, size: size}
	e.all, e.mine = c.all.PushFront(e), o.mine.PushFront(e)
	o.entries[key] = e
	o.size += size
	c.size += size
}

// wrote drops a datasource's answers: a write or change came, and a read
// under way must not keep what it gets.
func (c *readCache) wrote(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.owners[name]; o != nil {
		c.clear(o)
		c.prune(name, o)
	}
}

func (c *readCache) clear(o *cacheOwner) {
	for _, e := range o.entries {
		c.remove(e)
	}
	c.tick++
	o.since = c.tick
}

func (c *readCache) remove(e *cacheEntry) {
	o := c.owners[e.owner]
	c.all.Remove(e.all)
	o.mine.Remove(e.mine)
	delete(o.entries, e.key)
	o.size -= e.size
	c.size -= e.size
}

// prune forgets a datasource's part once it holds nothing and no read is
// under way, so datasources that are gone leave nothing behind.
func (c *readCache) prune(name string, o *cacheOwner) {
	if o.pending == 0 && len(o.entries) == 0 {
		delete(c.owners, name)
	}
}

func (c *readCache) bound(set, def int64) int64 {
	if set > 0 {
		return set
	}
	return def
}

// held is the bytes the cache holds, for tests.
func (c *readCache) held() (total int64, owners int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size, len(c.owners)
}
