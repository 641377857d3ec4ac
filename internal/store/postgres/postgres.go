// Package postgres is the store replicas share: PostgreSQL through a pgx
// pool. It keeps the same rows as the SQLite store (times in Unix
// milliseconds, sealed values as bytes) with the same semantics; the
// conformance suite in storetest holds both to them.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	ps "pluginserver"
	"pluginserver/internal/store"
	"pluginserver/plugin"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune the store; the zero value is fine.
type Options struct {
	// MaxConns bounds the pool; 0 keeps pgx's default (4, or the number
	// of CPUs when larger). The cache holds one connection more, outside
	// the pool, to listen on.
	MaxConns int32
	// Schema, when set, is the schema every connection uses (search_path),
	// created if missing: tests give each test its own.
	Schema string
}

// connectTimeout bounds a connection attempt, so a wrong host fails Open
// in seconds instead of hanging the start; a DSN's connect_timeout wins.
const connectTimeout = 5 * time.Second

// migrationLock is the advisory lock migrations run under, so replicas
// starting together apply each migration once. Any constant will do; this
// one is "plugsrv" in ASCII.
const migrationLock = 0x706c7567737276

// Store is a PostgreSQL database.
type Store struct {
	pool  *pgxpool.Pool
	cache *cache
}

// Open connects (checking the database answers), applies migrations, and
// starts listening for other replicas' changes.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL DSN: %w", err) // pgx leaves the password out
	}
	where := address(cfg.ConnConfig.Config)
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL at %s: %w", where, err)
	}
	// The pool connects lazily: without a ping a wrong DSN would show at
	// the first request instead of at start.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s: %w", where, err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx, opts.Schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate PostgreSQL at %s: %w", where, err)
	}
	if s.cache, err = startCache(ctx, cfg.ConnConfig); err != nil {
		pool.Close()
		return nil, fmt.Errorf("listen on PostgreSQL at %s: %w", where, err)
	}
	return s, nil
}

// address names the server a DSN points to, never its password.
func address(c pgconn.Config) string {
	if strings.HasPrefix(c.Host, "/") {
		return c.Host // a Unix socket directory
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port)))
}

// migrate applies the migrations the database lacks, in one transaction
// holding an advisory lock: a second replica starting at the same time
// waits, then finds them applied.
func (s *Store) migrate(ctx context.Context, schema string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if schema != "" {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)`); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		applied, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		return store.Migrate(migrations, applied, func(name, body string) error {
			if _, err := tx.Exec(ctx, body); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, name)
			return err
		})
	})
}

func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

func (s *Store) Close() error {
	s.cache.close()
	s.pool.Close()
	return nil
}

func notFound(id string) error { return plugin.Errorf(plugin.NotFound, "datasource %s not found", id) }

func (s *Store) CreateDatasource(ctx context.Context, d *ps.Datasource) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO datasources (id, workspace, plugin, name, config, client_secret, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.ID, d.Workspace, d.Plugin, d.Name, string(d.Config), d.ClientSecret, store.Millis(d.CreatedAt), store.Millis(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create datasource: %w", err)
	}
	return nil
}

func (s *Store) Datasource(ctx context.Context, workspace, id string) (*ps.Datasource, error) {
	d, gen := s.cache.get(workspace, id)
	if d != nil {
		return d, nil
	}
	d, err := store.ScanDatasource(s.pool.QueryRow(ctx, `SELECT `+store.DatasourceColumns+` FROM datasources WHERE workspace = $1 AND id = $2`, workspace, id).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	s.cache.put(d, gen)
	return d, nil
}

func (s *Store) Datasources(ctx context.Context, workspace string) ([]*ps.Datasource, error) {
	return s.queryDatasources(ctx, `WHERE workspace = $1 ORDER BY created_at, id`, workspace)
}

// queryDatasources reads the datasources a WHERE clause selects.
func (s *Store) queryDatasources(ctx context.Context, where string, args ...any) ([]*ps.Datasource, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.DatasourceColumns+` FROM datasources `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list datasources: %w", err)
	}
	defer rows.Close()
	list := []*ps.Datasource{}
	for rows.Next() {
		d, err := store.ScanDatasource(rows.Scan)
		if err != nil {
			return nil, err
		}
		list = append(list, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list datasources: %w", err)
	}
	return list, nil
}

// write runs a statement changing the datasource id, then forgets the
// cached copy at once: this Store's own writes need not wait for the
// notification the trigger sends to every replica.
func (s *Store) write(ctx context.Context, id, sql string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, sql, args...)
	s.cache.evict(id)
	if err != nil {
		return 0, fmt.Errorf("datasource %s: %w", id, err)
	}
	return tag.RowsAffected(), nil
}

// writeFound is write for a statement that must change the datasource:
// changing none means it is not found (in that workspace).
func (s *Store) writeFound(ctx context.Context, id, sql string, args ...any) error {
	n, err := s.write(ctx, id, sql, args...)
	if err == nil && n == 0 {
		return notFound(id)
	}
	return err
}

func (s *Store) UpdateDatasource(ctx context.Context, d *ps.Datasource) error {
	return s.writeFound(ctx, d.ID, `UPDATE datasources SET name = $1, config = $2, client_secret = $3, updated_at = $4
		WHERE workspace = $5 AND id = $6`, d.Name, string(d.Config), d.ClientSecret, store.Millis(d.UpdatedAt), d.Workspace, d.ID)
}

func (s *Store) DeleteDatasource(ctx context.Context, workspace, id string) error {
	return s.writeFound(ctx, id, `DELETE FROM datasources WHERE workspace = $1 AND id = $2`, workspace, id)
}

// tokenColumns are what a token writes, from $1 to $6 in the order
// tokenValues gives.
const tokenColumns = `access_token = $1, refresh_token = $2, token_expires_at = $3, refresh_expires_at = $4, scopes = $5, member = $6`

func (s *Store) SetToken(ctx context.Context, workspace, id string, t *ps.Token) error {
	args := append(store.TokenValues(t), store.Millis(time.Now()), workspace, id)
	return s.writeFound(ctx, id, `UPDATE datasources SET `+tokenColumns+`, `+store.ClearedState+`, updated_at = $7
		WHERE workspace = $8 AND id = $9`, args...)
}

// ClaimRefresh is one UPDATE: PostgreSQL locks the row, and a second
// claimer waiting on the lock re-checks the condition against the first
// one's claim and changes nothing.
func (s *Store) ClaimRefresh(ctx context.Context, workspace, id string, version int64, owner string, now, until time.Time) (bool, error) {
	n, err := s.write(ctx, id, `UPDATE datasources SET refresh_claim_owner = $1, refresh_claim_until = $2
		WHERE workspace = $3 AND id = $4 AND token_version = $5 AND access_token IS NOT NULL
		AND (refresh_claim_owner = '' OR refresh_claim_owner = $1 OR refresh_claim_until < $6)`,
		owner, store.Millis(until), workspace, id, version, store.Millis(now))
	return n == 1, err
}

func (s *Store) SaveRefreshed(ctx context.Context, workspace, id string, version int64, owner string, t *ps.Token) (bool, error) {
	args := append(store.TokenValues(t), store.Millis(time.Now()), workspace, id, version, owner)
	n, err := s.write(ctx, id, `UPDATE datasources SET `+tokenColumns+`, `+store.ClearedState+`, updated_at = $7
		WHERE workspace = $8 AND id = $9 AND token_version = $10 AND refresh_claim_owner = $11`, args...)
	return n == 1, err
}

func (s *Store) SetProblem(ctx context.Context, workspace, id string, version int64, p ps.AuthProblem) error {
	_, err := s.write(ctx, id, `UPDATE datasources SET problem_status = $1, problem_reason = $2, problem_failures = $3,
		problem_retry_at = $4, refresh_claim_owner = '', refresh_claim_until = NULL
		WHERE workspace = $5 AND id = $6 AND token_version = $7`,
		p.Status, p.Reason, p.Failures, store.NullMillis(p.RetryAt), workspace, id, version)
	return err
}

func (s *Store) ExpiringTokens(ctx context.Context, before time.Time) ([]*ps.Datasource, error) {
	return s.queryDatasources(ctx, `WHERE access_token IS NOT NULL AND token_expires_at < $1 AND expiring_notified != token_version
		AND (refresh_token IS NULL OR refresh_expires_at < token_expires_at)
		ORDER BY token_expires_at`, store.Millis(before))
}

func (s *Store) CountAuthStatuses(ctx context.Context, now time.Time) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, store.AuthStatusQuery, store.Millis(now), ps.ExpiringWindow.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("count datasources: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("count datasources: %w", err)
		}
		counts[status] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count datasources: %w", err)
	}
	return counts, nil
}

func (s *Store) MarkExpiringAnnounced(ctx context.Context, workspace, id string, version int64) error {
	_, err := s.write(ctx, id, `UPDATE datasources SET expiring_notified = token_version
		WHERE workspace = $1 AND id = $2 AND token_version = $3`, workspace, id, version)
	return err
}

func (s *Store) SaveAuthState(ctx context.Context, a *ps.AuthState) error {
	// A state nobody came back with would stay forever: each save forgets
	// those long expired (store.AuthStateKept), in the same transaction.
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM auth_states WHERE expires_at < $1`, store.Millis(a.CreatedAt.Add(-store.AuthStateKept))); err != nil {
			return fmt.Errorf("forget old auth states: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO auth_states (state_hash, workspace, datasource_id, return_url, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, a.StateHash, a.Workspace, a.DatasourceID, a.ReturnURL, store.Millis(a.CreatedAt), store.Millis(a.ExpiresAt)); err != nil {
			return fmt.Errorf("save auth state: %w", err)
		}
		return nil
	})
}

// TakeAuthState deletes and returns in one statement: of callers racing
// with the same state, the one whose DELETE removes the row gets it.
func (s *Store) TakeAuthState(ctx context.Context, stateHash string) (*ps.AuthState, error) {
	var a ps.AuthState
	var created, expires int64
	err := s.pool.QueryRow(ctx, `DELETE FROM auth_states WHERE state_hash = $1
		RETURNING state_hash, workspace, datasource_id, return_url, created_at, expires_at`, stateHash).
		Scan(&a.StateHash, &a.Workspace, &a.DatasourceID, &a.ReturnURL, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, plugin.Errorf(plugin.NotFound, "unknown or already used state")
	}
	if err != nil {
		return nil, fmt.Errorf("take auth state: %w", err)
	}
	a.CreatedAt, a.ExpiresAt = store.FromMillis(created), store.FromMillis(expires)
	return &a, nil
}

func (s *Store) KeyCheck(ctx context.Context) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'key_check'`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

func (s *Store) SetKeyCheck(ctx context.Context, sealed []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('key_check', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, sealed)
	return err
}

// Learned values live in meta beside the key check, under a prefix of their
// own so no key can name the key check.
// factsKept is how long an ended fact stays, for a replica that reads late.
const factsKept = time.Hour

func (s *Store) ShareFact(ctx context.Context, f ps.Fact) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM facts WHERE until_at < $1`, store.Millis(f.Until.Add(-factsKept))); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO facts (origin, kind, key, value, until_at) VALUES ($1, $2, $3, $4, $5)`,
		f.Origin, f.Kind, f.Key, f.Value, store.Millis(f.Until))
	return err
}

func (s *Store) FactsSince(ctx context.Context, after int64, now time.Time) ([]ps.Fact, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, origin, kind, key, value, until_at FROM facts
		WHERE id > $1 AND until_at > $2 ORDER BY id`, after, store.Millis(now))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ps.Fact, error) {
		var f ps.Fact
		var until int64
		err := row.Scan(&f.ID, &f.Origin, &f.Kind, &f.Key, &f.Value, &until)
		f.Until = store.FromMillis(until)
		return f, err
	})
}

func (s *Store) Learned(ctx context.Context, key string) (string, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, "learned:"+key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return string(v), err
}

func (s *Store) SetLearned(ctx context.Context, key, value string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, "learned:"+key, []byte(value))
	return err
}

func (s *Store) Reseal(ctx context.Context, reseal func(owner, field string, sealed []byte) ([]byte, error)) (int, error) {
	defer s.cache.evictAll()
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Writes wait until the reseal commits (reads go on): a token saved
		// between reading and rewriting would otherwise be overwritten with
		// the old one, and a datasource created meanwhile left under the
		// old key.
		if _, err := tx.Exec(ctx, `LOCK TABLE datasources, meta IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		type row struct {
			id     string
			values [3][]byte
		}
		fields := [3]string{"client_secret", "access_token", "refresh_token"}
		rows, _ := tx.Query(ctx, `SELECT id, client_secret, access_token, refresh_token FROM datasources`)
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.values[0], &x.values[1], &x.values[2])
			return x, err
		})
		if err != nil {
			return err
		}
		for _, r := range all {
			for i, v := range r.values {
				if len(v) == 0 {
					continue
				}
				if r.values[i], err = reseal(r.id, fields[i], v); err != nil {
					return fmt.Errorf("datasource %s %s: %w", r.id, fields[i], err)
				}
				n++
			}
			if _, err := tx.Exec(ctx, `UPDATE datasources SET client_secret = $1, access_token = $2, refresh_token = $3 WHERE id = $4`,
				r.values[0], r.values[1], r.values[2], r.id); err != nil {
				return err
			}
		}
		var check []byte
		err = tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'key_check'`).Scan(&check)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if check, err = reseal("server", "key_check", check); err != nil {
			return fmt.Errorf("key check: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE meta SET value = $1 WHERE key = 'key_check'`, check); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// BeginIdempotent inserts or, when the key is taken, reads who holds it.
// A racing insert of the same key waits for the first to commit and then
// finds the key taken; the holder may be released between that insert
// and the read, and then the key is tried again.
func (s *Store) BeginIdempotent(ctx context.Context, r *ps.IdempotentRequest, expiredBefore time.Time) (*ps.IdempotentRequest, bool, error) {
	for {
		got, created, err := s.beginIdempotent(ctx, r, expiredBefore)
		if !errors.Is(err, pgx.ErrNoRows) {
			return got, created, err
		}
	}
}

func (s *Store) beginIdempotent(ctx context.Context, r *ps.IdempotentRequest, expiredBefore time.Time) (got *ps.IdempotentRequest, created bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM idempotency WHERE workspace = $1 AND key = $2 AND created_at < $3`,
			r.Workspace, r.Key, store.Millis(expiredBefore)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency (workspace, key, request_hash, state, created_at, deadline)
			VALUES ($1, $2, $3, 'running', $4, $5) ON CONFLICT (workspace, key) DO NOTHING`,
			r.Workspace, r.Key, r.RequestHash, store.Millis(r.CreatedAt), store.Millis(r.Deadline))
		if err != nil {
			return err
		}
		if created = tag.RowsAffected() == 1; created {
			got = r
			return nil
		}
		var held ps.IdempotentRequest
		var at, deadline int64
		err = tx.QueryRow(ctx, `SELECT workspace, key, request_hash, state, http_status, envelope, created_at, deadline
			FROM idempotency WHERE workspace = $1 AND key = $2`, r.Workspace, r.Key).
			Scan(&held.Workspace, &held.Key, &held.RequestHash, &held.State, &held.Status, &held.Envelope, &at, &deadline)
		held.CreatedAt, held.Deadline = store.FromMillis(at), store.FromMillis(deadline)
		got = &held
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return got, created, nil
}

func (s *Store) FinishIdempotent(ctx context.Context, workspace, key string, status int, envelope []byte) error {
	_, err := s.pool.Exec(ctx, `UPDATE idempotency SET state = 'done', http_status = $1, envelope = $2
		WHERE workspace = $3 AND key = $4`, status, envelope, workspace, key)
	return err
}

func (s *Store) ReleaseIdempotent(ctx context.Context, workspace, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency WHERE workspace = $1 AND key = $2 AND state = 'running'`, workspace, key)
	return err
}

func (s *Store) PurgeIdempotent(ctx context.Context, before time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency WHERE created_at < $1`, store.Millis(before))
	return err
}
