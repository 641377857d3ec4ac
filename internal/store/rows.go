package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	ps "pluginserver"
)

// What every backend writes and reads of a datasource row: the SQL
// dialects differ (placeholders, drivers), the columns and the encoding
// of their values are one.

// Tables are what a copy from one store to another carries, in the order
// it must follow (a state names its datasource). Facts stay behind: they
// are hints that end within the hour.
func Tables() []string { return []string{"datasources", "auth_states", "meta", "idempotency"} }

// DatasourceColumns are what a datasource read returns and a cache keeps:
// a write to any of them must reach the cache.
const DatasourceColumns = `id, workspace, plugin, name, config, client_secret, access_token, refresh_token,
	token_expires_at, refresh_expires_at, scopes, member, token_version,
	problem_status, problem_reason, problem_failures, problem_retry_at, created_at, updated_at`

// ClearedState forgets any claim, problem and announcement: the token
// they were about is gone.
const ClearedState = `token_version = token_version + 1, refresh_claim_owner = '', refresh_claim_until = NULL,
	problem_status = '', problem_reason = '', problem_failures = 0, problem_retry_at = NULL, expiring_notified = -1`

// TokenValues are a token's columns, in the order access_token,
// refresh_token, token_expires_at, refresh_expires_at, scopes, member;
// all NULL for no token.
func TokenValues(t *ps.Token) []any {
	if t == nil {
		return []any{nil, nil, nil, nil, nil, nil}
	}
	var member any
	if t.Member != nil {
		b, _ := json.Marshal(t.Member)
		member = string(b)
	}
	return []any{t.Access, t.Refresh, NullMillis(t.ExpiresAt), NullMillis(t.RefreshExpiresAt), strings.Join(t.Scopes, " "), member}
}

// ScanDatasource reads a row of DatasourceColumns with scan (a
// database/sql or pgx row's Scan: both take pointers to pointers for
// columns that may be NULL).
func ScanDatasource(scan func(dest ...any) error) (*ps.Datasource, error) {
	var d ps.Datasource
	var config string
	var access, refresh []byte
	var expires, refreshExpires, retryAt *int64
	var scopes, member *string
	var version, created, updated int64
	err := scan(&d.ID, &d.Workspace, &d.Plugin, &d.Name, &config, &d.ClientSecret, &access, &refresh,
		&expires, &refreshExpires, &scopes, &member, &version,
		&d.Problem.Status, &d.Problem.Reason, &d.Problem.Failures, &retryAt, &created, &updated)
	if err != nil {
		return nil, err
	}
	d.Config = json.RawMessage(config)
	d.CreatedAt, d.UpdatedAt = FromMillis(created), FromMillis(updated)
	d.Problem.RetryAt = FromNull(retryAt)
	if len(access) > 0 {
		t := &ps.Token{Access: access, Refresh: refresh, ExpiresAt: FromNull(expires), RefreshExpiresAt: FromNull(refreshExpires), Version: version}
		if scopes != nil && *scopes != "" {
			t.Scopes = strings.Fields(*scopes)
		}
		if member != nil {
			t.Member = &ps.Member{}
			if err := json.Unmarshal([]byte(*member), t.Member); err != nil {
				return nil, fmt.Errorf("datasource %s member: %w", d.ID, err)
			}
		}
		d.Token = t
	}
	return &d, nil
}

// CloneDatasource copies what a caller might change, so a cache hands out
// copies; byte slices are never changed in place.
func CloneDatasource(d *ps.Datasource) *ps.Datasource {
	cp := *d
	if d.Token != nil {
		t := *d.Token
		t.Scopes = slices.Clone(t.Scopes)
		if t.Member != nil {
			m := *t.Member
			t.Member = &m
		}
		cp.Token = &t
	}
	return &cp
}

// Times are kept as Unix milliseconds, the zero time as NULL.

func Millis(t time.Time) int64 { return t.UnixMilli() }

func NullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func FromNull(ms *int64) time.Time {
	if ms == nil {
		return time.Time{}
	}
	return FromMillis(*ms)
}
