// Package sqlite is the default store: one SQLite file, written through a
// pure-Go driver so the binary needs no cgo.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	ps "pluginserver"
	"pluginserver/internal/store"
	"pluginserver/plugin"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a SQLite file.
type Store struct {
	db *sql.DB
	// getDatasource is prepared once: every execute reads a datasource, and
	// parsing the query each time was most of the read's cost.
	getDatasource *sql.Stmt
	cache         *cache
}

// Open opens (creating if needed) the database file and applies migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)", "cache_size(-1024)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Each connection keeps its own page cache: a pool as large as the
	// callers cost megabytes per caller, and a few connections are as fast
	// on a small machine.
	// One more is the cache's own.
	db.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)) + 1)
	db.SetMaxIdleConns(max(4, 2*runtime.GOMAXPROCS(0)) + 1)
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if s.getDatasource, err = db.PrepareContext(ctx, `SELECT `+store.DatasourceColumns+` FROM datasources WHERE workspace = ? AND id = ?`); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if s.cache, err = newCache(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("cache: %w", err)
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)`); err != nil {
		return err
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return err
	}
	err = store.Migrate(migrations, applied, func(name, body string) error {
		if _, err := tx.ExecContext(ctx, body); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, name)
		return err
	})
	if err != nil {
		return err
	}
	return tx.Commit()
}

// appliedVersions lists the migrations the file records.
func appliedVersions(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var versions []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	return versions, rows.Err()
}

func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
func (s *Store) Close() error {
	s.cache.close()
	s.getDatasource.Close()
	return s.db.Close()
}

func notFound(id string) error { return plugin.Errorf(plugin.NotFound, "datasource %s not found", id) }

func (s *Store) CreateDatasource(ctx context.Context, d *ps.Datasource) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO datasources (id, workspace, plugin, name, config, client_secret, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.Workspace, d.Plugin, d.Name, string(d.Config), d.ClientSecret, store.Millis(d.CreatedAt), store.Millis(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create datasource: %w", err)
	}
	return nil
}

func (s *Store) Datasource(ctx context.Context, workspace, id string) (*ps.Datasource, error) {
	key := workspace + "\x00" + id
	d, epoch := s.cache.get(ctx, key)
	if d != nil {
		return d, nil
	}
	d, err := store.ScanDatasource(s.getDatasource.QueryRowContext(ctx, workspace, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	s.cache.put(key, d, epoch)
	return d, nil
}

func (s *Store) Datasources(ctx context.Context, workspace string) ([]*ps.Datasource, error) {
	return s.queryDatasources(ctx, `WHERE workspace = ? ORDER BY created_at, id`, workspace)
}

// queryDatasources reads the datasources a WHERE clause selects.
func (s *Store) queryDatasources(ctx context.Context, where string, args ...any) ([]*ps.Datasource, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.DatasourceColumns+` FROM datasources `+where, args...)
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
	return list, rows.Err()
}

func (s *Store) UpdateDatasource(ctx context.Context, d *ps.Datasource) error {
	res, err := s.db.ExecContext(ctx, `UPDATE datasources SET name = ?, config = ?, client_secret = ?, updated_at = ?
		WHERE workspace = ? AND id = ?`, d.Name, string(d.Config), d.ClientSecret, store.Millis(d.UpdatedAt), d.Workspace, d.ID)
	s.cache.invalidate()
	return affected(res, err, d.ID)
}

func (s *Store) DeleteDatasource(ctx context.Context, workspace, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM datasources WHERE workspace = ? AND id = ?`, workspace, id)
	s.cache.invalidate()
	return affected(res, err, id)
}

// tokenColumns are what a token writes, in the order tokenValues gives.
const tokenColumns = `access_token = ?, refresh_token = ?, token_expires_at = ?, refresh_expires_at = ?, scopes = ?, member = ?`

func (s *Store) SetToken(ctx context.Context, workspace, id string, t *ps.Token) error {
	args := append(store.TokenValues(t), store.Millis(time.Now()), workspace, id)
	res, err := s.db.ExecContext(ctx, `UPDATE datasources SET `+tokenColumns+`, `+store.ClearedState+`, updated_at = ?
		WHERE workspace = ? AND id = ?`, args...)
	s.cache.invalidate()
	return affected(res, err, id)
}

func (s *Store) ClaimRefresh(ctx context.Context, workspace, id string, version int64, owner string, now, until time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE datasources SET refresh_claim_owner = ?, refresh_claim_until = ?
		WHERE workspace = ? AND id = ? AND token_version = ? AND access_token IS NOT NULL
		AND (refresh_claim_owner = '' OR refresh_claim_owner = ? OR refresh_claim_until < ?)`,
		owner, store.Millis(until), workspace, id, version, owner, store.Millis(now))
	return changed(res, err)
}

func (s *Store) SaveRefreshed(ctx context.Context, workspace, id string, version int64, owner string, t *ps.Token) (bool, error) {
	args := append(store.TokenValues(t), store.Millis(time.Now()), workspace, id, version, owner)
	res, err := s.db.ExecContext(ctx, `UPDATE datasources SET `+tokenColumns+`, `+store.ClearedState+`, updated_at = ?
		WHERE workspace = ? AND id = ? AND token_version = ? AND refresh_claim_owner = ?`, args...)
	s.cache.invalidate()
	return changed(res, err)
}

func (s *Store) SetProblem(ctx context.Context, workspace, id string, version int64, p ps.AuthProblem) error {
	_, err := s.db.ExecContext(ctx, `UPDATE datasources SET problem_status = ?, problem_reason = ?, problem_failures = ?,
		problem_retry_at = ?, refresh_claim_owner = '', refresh_claim_until = NULL
		WHERE workspace = ? AND id = ? AND token_version = ?`,
		p.Status, p.Reason, p.Failures, store.NullMillis(p.RetryAt), workspace, id, version)
	s.cache.invalidate()
	if err != nil {
		return fmt.Errorf("datasource %s: %w", id, err)
	}
	return nil
}

func (s *Store) ExpiringTokens(ctx context.Context, before time.Time) ([]*ps.Datasource, error) {
	return s.queryDatasources(ctx, `WHERE access_token IS NOT NULL AND token_expires_at < ? AND expiring_notified != token_version
		AND (refresh_token IS NULL OR refresh_expires_at < token_expires_at)
		ORDER BY token_expires_at`, store.Millis(before))
}

func (s *Store) CountAuthStatuses(ctx context.Context, now time.Time) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, strings.ReplaceAll(store.AuthStatusQuery, "$", "?"), store.Millis(now), ps.ExpiringWindow.Milliseconds())
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
	return counts, rows.Err()
}

func (s *Store) MarkExpiringAnnounced(ctx context.Context, workspace, id string, version int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE datasources SET expiring_notified = token_version
		WHERE workspace = ? AND id = ? AND token_version = ?`, workspace, id, version)
	if err != nil {
		return fmt.Errorf("datasource %s: %w", id, err)
	}
	return nil
}

func (s *Store) SaveAuthState(ctx context.Context, a *ps.AuthState) error {
	// A state nobody came back with would stay forever: each save forgets
	// those long expired (store.AuthStateKept), in the same transaction.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM auth_states WHERE expires_at < ?`, store.Millis(a.CreatedAt.Add(-store.AuthStateKept))); err != nil {
		return fmt.Errorf("forget old auth states: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO auth_states (state_hash, workspace, datasource_id, return_url, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, a.StateHash, a.Workspace, a.DatasourceID, a.ReturnURL, store.Millis(a.CreatedAt), store.Millis(a.ExpiresAt)); err != nil {
		return fmt.Errorf("save auth state: %w", err)
	}
	return tx.Commit()
}

func (s *Store) TakeAuthState(ctx context.Context, stateHash string) (*ps.AuthState, error) {
	var a ps.AuthState
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `DELETE FROM auth_states WHERE state_hash = ?
		RETURNING state_hash, workspace, datasource_id, return_url, created_at, expires_at`, stateHash).
		Scan(&a.StateHash, &a.Workspace, &a.DatasourceID, &a.ReturnURL, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, plugin.Errorf(plugin.NotFound, "unknown or already used state")
	}
	if err != nil {
		return nil, fmt.Errorf("take auth state: %w", err)
	}
	a.CreatedAt, a.ExpiresAt = store.FromMillis(created), store.FromMillis(expires)
	return &a, nil
}

func affected(res sql.Result, err error, id string) error {
	if err != nil {
		return fmt.Errorf("datasource %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notFound(id)
	}
	return nil
}

func changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Store) KeyCheck(ctx context.Context) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'key_check'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

func (s *Store) SetKeyCheck(ctx context.Context, sealed []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('key_check', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, sealed)
	return err
}

// factsKept is how long an ended fact stays, for a replica that reads late.
const factsKept = time.Hour

func (s *Store) ShareFact(ctx context.Context, f ps.Fact) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM facts WHERE until_at < ?`, store.Millis(f.Until.Add(-factsKept))); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO facts (origin, kind, key, value, until_at) VALUES (?, ?, ?, ?, ?)`,
		f.Origin, f.Kind, f.Key, f.Value, store.Millis(f.Until))
	return err
}

func (s *Store) FactsSince(ctx context.Context, after int64, now time.Time) ([]ps.Fact, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, origin, kind, key, value, until_at FROM facts
		WHERE id > ? AND until_at > ? ORDER BY id`, after, store.Millis(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var facts []ps.Fact
	for rows.Next() {
		var f ps.Fact
		var until int64
		if err := rows.Scan(&f.ID, &f.Origin, &f.Kind, &f.Key, &f.Value, &until); err != nil {
			return nil, err
		}
		f.Until = store.FromMillis(until)
		facts = append(facts, f)
	}
	return facts, rows.Err()
}

// Learned values live in meta beside the key check, under a prefix of their
// own so no key can name the key check.
func (s *Store) Learned(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, "learned:"+key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func (s *Store) SetLearned(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, "learned:"+key, value)
	return err
}

func (s *Store) Reseal(ctx context.Context, reseal func(owner, field string, sealed []byte) ([]byte, error)) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	type row struct {
		id     string
		values [3][]byte
	}
	fields := [3]string{"client_secret", "access_token", "refresh_token"}
	rows, err := tx.QueryContext(ctx, `SELECT id, client_secret, access_token, refresh_token FROM datasources`)
	if err != nil {
		return 0, err
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.values[0], &r.values[1], &r.values[2]); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range all {
		for i, v := range r.values {
			if len(v) == 0 {
				continue
			}
			if r.values[i], err = reseal(r.id, fields[i], v); err != nil {
				return 0, fmt.Errorf("datasource %s %s: %w", r.id, fields[i], err)
			}
			n++
		}
		if _, err := tx.ExecContext(ctx, `UPDATE datasources SET client_secret = ?, access_token = ?, refresh_token = ? WHERE id = ?`,
			r.values[0], r.values[1], r.values[2], r.id); err != nil {
			return 0, err
		}
	}
	var check []byte
	err = tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'key_check'`).Scan(&check)
	if err == nil {
		if check, err = reseal("server", "key_check", check); err != nil {
			return 0, fmt.Errorf("key check: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'key_check'`, check); err != nil {
			return 0, err
		}
		n++
	} else if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	err = tx.Commit()
	s.cache.invalidate()
	return n, err
}

func (s *Store) BeginIdempotent(ctx context.Context, r *ps.IdempotentRequest, expiredBefore time.Time) (*ps.IdempotentRequest, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency WHERE workspace = ? AND key = ? AND created_at < ?`,
		r.Workspace, r.Key, store.Millis(expiredBefore)); err != nil {
		return nil, false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO idempotency (workspace, key, request_hash, state, created_at, deadline)
		VALUES (?, ?, ?, 'running', ?, ?) ON CONFLICT (workspace, key) DO NOTHING`, r.Workspace, r.Key, r.RequestHash, store.Millis(r.CreatedAt), store.Millis(r.Deadline))
	created, err := changed(res, err)
	if err != nil {
		return nil, false, err
	}
	if created {
		return r, true, tx.Commit()
	}
	var got ps.IdempotentRequest
	var at, deadline int64
	err = tx.QueryRowContext(ctx, `SELECT workspace, key, request_hash, state, http_status, envelope, created_at, deadline
		FROM idempotency WHERE workspace = ? AND key = ?`, r.Workspace, r.Key).
		Scan(&got.Workspace, &got.Key, &got.RequestHash, &got.State, &got.Status, &got.Envelope, &at, &deadline)
	if err != nil {
		return nil, false, err
	}
	got.CreatedAt, got.Deadline = store.FromMillis(at), store.FromMillis(deadline)
	return &got, false, tx.Commit()
}

func (s *Store) FinishIdempotent(ctx context.Context, workspace, key string, status int, envelope []byte) error {
	_, err := s.db.ExecContext(ctx, `UPDATE idempotency SET state = 'done', http_status = ?, envelope = ?
		WHERE workspace = ? AND key = ?`, status, envelope, workspace, key)
	return err
}

func (s *Store) ReleaseIdempotent(ctx context.Context, workspace, key string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM idempotency WHERE workspace = ? AND key = ? AND state = 'running'`, workspace, key)
	return err
}

func (s *Store) PurgeIdempotent(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM idempotency WHERE created_at < ?`, store.Millis(before))
	return err
}
