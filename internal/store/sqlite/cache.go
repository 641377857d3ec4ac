package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	ps "pluginserver"
	"pluginserver/internal/store"
)

// freshness bounds how old a cached datasource may be next to a write made
// by another process on the same file: replicas see each other's writes
// within it. Writes made through this Store are seen at once. Each poll is
// a query, so polling every millisecond cost a twenty-fifth of the CPU per
// execute under load, and every 5 ms still a fortieth of createPost's;
// 20 ms costs a quarter of that, and no person sees 20 ms.
const freshness = 20 * time.Millisecond

// maxCached bounds the cache; when full it starts over.
const maxCached = 10000

// cache keeps datasources read from the file, because every execute reads
// its datasource and the read was a fifth of the server's CPU per call.
// PRAGMA data_version, asked on a connection of the cache's own, moves when
// any other connection commits, in this process or another; the cache
// starts over when it does.
type cache struct {
	mu      sync.Mutex
	entries map[string]*ps.Datasource
	// epoch moves at every start-over, so a row read before one is not
	// kept after it.
	epoch uint64

	watch       *sql.Conn
	dataVersion *sql.Stmt
	// polling lets one caller at a time ask for the data version; the
	// others go on with what the last answer said.
	polling     sync.Mutex
	lastVersion int64
	polledAt    atomic.Int64 // unix nanoseconds
}

func newCache(ctx context.Context, db *sql.DB) (*cache, error) {
	watch, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	dataVersion, err := watch.PrepareContext(ctx, `PRAGMA data_version`)
	if err != nil {
		watch.Close()
		return nil, err
	}
	return &cache{entries: map[string]*ps.Datasource{}, watch: watch, dataVersion: dataVersion}, nil
}

func (c *cache) close() {
	c.dataVersion.Close()
	c.watch.Close()
}

// get returns a copy of the cached datasource, or the epoch to put the one
// the caller is about to read under.
func (c *cache) get(ctx context.Context, key string) (*ps.Datasource, uint64) {
	c.poll(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.entries[key]; ok {
		return store.CloneDatasource(d), c.epoch
	}
	return nil, c.epoch
}

// put keeps a copy of d unless the cache started over since epoch.
func (c *cache) put(key string, d *ps.Datasource, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.entries) >= maxCached {
		clear(c.entries)
	}
	c.entries[key] = store.CloneDatasource(d)
}

// invalidate starts over; every write to a datasource calls it once
// committed.
func (c *cache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.epoch++
}

// poll asks for the data version when the last answer is older than
// freshness, and starts over when it moved.
func (c *cache) poll(ctx context.Context) {
	if time.Now().UnixNano()-c.polledAt.Load() < int64(freshness) || !c.polling.TryLock() {
		return
	}
	defer c.polling.Unlock()
	var v int64
	if err := c.dataVersion.QueryRowContext(ctx).Scan(&v); err != nil || v != c.lastVersion {
		c.lastVersion = v
		c.invalidate()
	}
	if ctx.Err() == nil {
		c.polledAt.Store(time.Now().UnixNano())
	}
}
