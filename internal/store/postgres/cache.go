package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	ps "pluginserver"
	"pluginserver/internal/store"
)

// channel is where the datasources trigger (migrations/001_init.sql) sends
// the id of every row a transaction changes, when it commits.
const channel = "plugin_server_datasources"

// maxCached bounds the cache; when full it starts over.
const maxCached = 10000

const (
	// quietCheck is how long the listening connection may stay silent
	// before it is pinged: a connection lost without a word (a dropped
	// network) would otherwise keep the cache trusted forever.
	quietCheck = 30 * time.Second
	// The listening connection is retried at once, then after waits that
	// double up to maxBackoff, so a database down for long is not hammered.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// cache keeps datasources, because every execute reads its datasource and
// a query for each would put a round trip on the hot path. It is trusted
// only while a connection of its own LISTENs on channel: each notification
// forgets one datasource, and while that connection is lost the cache is
// empty and keeps nothing, so reads go to the database and no change made
// meanwhile is missed.
type cache struct {
	mu      sync.Mutex
	entries map[string]*ps.Datasource // by id: ids are unique across workspaces
	// gen moves at every eviction, so a row read before one is not kept
	// after it.
	gen       uint64
	listening bool

	pid    atomic.Uint32 // the listening connection's backend, for tests
	cancel context.CancelFunc
	done   chan struct{}
}

// startCache connects the listening connection before returning, so reads
// are cached from the start, and keeps it connected until close.
func startCache(ctx context.Context, cfg *pgx.ConnConfig) (*cache, error) {
	c := &cache{entries: map[string]*ps.Datasource{}, done: make(chan struct{})}
	conn, err := c.connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.run(runCtx, cfg, conn)
	return c, nil
}

func (c *cache) close() {
	c.cancel()
	<-c.done
}

// connect opens a connection that listens, and trusts the cache from then
// on: anything read after LISTEN took effect is evicted when it changes.
func (c *cache) connect(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+channel); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	c.pid.Store(conn.PgConn().PID())
	c.reset(true)
	return conn, nil
}

// run listens until close, reconnecting whenever the connection is lost.
func (c *cache) run(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn) {
	defer close(c.done)
	for {
		c.listen(ctx, conn)
		c.reset(false)
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(closeCtx)
		cancel()
		if conn = c.reconnect(ctx, cfg); conn == nil {
			return
		}
	}
}

// reconnect tries until it listens again, or returns nil once closed.
func (c *cache) reconnect(ctx context.Context, cfg *pgx.ConnConfig) *pgx.Conn {
	for wait := minBackoff; ; wait = min(2*wait, maxBackoff) {
		if conn, err := c.connect(ctx, cfg); err == nil {
			return conn
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// listen evicts each datasource a notification names, and returns when the
// connection is lost or the cache closed.
func (c *cache) listen(ctx context.Context, conn *pgx.Conn) {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, quietCheck)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			c.evict(n.Payload)
		case ctx.Err() != nil:
			return
		case pgconn.Timeout(err):
			// A timeout leaves the connection usable; check it still answers.
			pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
			err = conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return
			}
		default:
			return
		}
	}
}

// get returns a copy of the cached datasource, or the generation to put
// the one the caller is about to read under.
func (c *cache) get(workspace, id string) (*ps.Datasource, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.entries[id]; ok && d.Workspace == workspace {
		return store.CloneDatasource(d), c.gen
	}
	return nil, c.gen
}

// put keeps a copy of d unless something was evicted since gen was read,
// or nothing listens.
func (c *cache) put(d *ps.Datasource, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening || c.gen != gen {
		return
	}
	if len(c.entries) >= maxCached {
		clear(c.entries)
	}
	c.entries[d.ID] = store.CloneDatasource(d)
}

func (c *cache) evict(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
	c.gen++
}

func (c *cache) evictAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.gen++
}

// reset starts over, trusting what is read next only when listening.
func (c *cache) reset(listening bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.gen++
	c.listening = listening
}
