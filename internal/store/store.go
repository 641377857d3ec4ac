// Package store defines what the server keeps and where: every backend
// implements Store and passes the conformance suite in storetest.
package store

import (
	"context"
	"time"

	ps "pluginserver"
)

// AuthStateKept is how long an expired authorization state is kept, so a
// member who comes back late is told the authorization expired rather
// than that it is unknown.
const AuthStateKept = time.Hour

// Store keeps datasources, their sealed tokens and pending authorizations.
// Every datasource query is scoped by workspace: another workspace's
// datasource is not found.
type Store interface {
	CreateDatasource(ctx context.Context, d *ps.Datasource) error
	Datasource(ctx context.Context, workspace, id string) (*ps.Datasource, error)
	Datasources(ctx context.Context, workspace string) ([]*ps.Datasource, error)
	// UpdateDatasource saves name, config and client secret.
	UpdateDatasource(ctx context.Context, d *ps.Datasource) error
	DeleteDatasource(ctx context.Context, workspace, id string) error
	// SetToken replaces the datasource's token (nil forgets it), clears any
	// problem and bumps the token version.
	SetToken(ctx context.Context, workspace, id string, t *ps.Token) error

	// ClaimRefresh lets one refresher at a time, across processes, refresh
	// the token of the given version: it succeeds when the version is still
	// current and no other owner holds an unexpired claim.
	ClaimRefresh(ctx context.Context, workspace, id string, version int64, owner string, now, until time.Time) (bool, error)
	// SaveRefreshed stores a refreshed token over the version the claim was
	// made for, bumps the version, and clears the claim and any problem.
	// It reports false when the version or the claim moved on.
	SaveRefreshed(ctx context.Context, workspace, id string, version int64, owner string, t *ps.Token) (bool, error)
	// SetProblem records what went wrong with the token of that version
	// (a newer token is left alone) and drops any claim.
	SetProblem(ctx context.Context, workspace, id string, version int64, p ps.AuthProblem) error

	// ExpiringTokens lists, in every workspace, datasources whose token
	// cannot be refreshed and expires before the given time, and whose
	// coming expiry was not yet announced.
	ExpiringTokens(ctx context.Context, before time.Time) ([]*ps.Datasource, error)
	// MarkExpiringAnnounced remembers that the expiry of that token version
	// was announced.
	MarkExpiringAnnounced(ctx context.Context, workspace, id string, version int64) error
	// CountAuthStatuses counts the datasources of every workspace by
	// their AuthStatus at now, in one aggregate query (AuthStatusQuery).
	CountAuthStatuses(ctx context.Context, now time.Time) (map[string]int64, error)

	// SaveAuthState keeps a pending authorization and forgets those that
	// expired more than AuthStateKept before it was made.
	SaveAuthState(ctx context.Context, s *ps.AuthState) error
	// TakeAuthState removes and returns a pending authorization, so a state
	// can be used once only. An expired one is still returned (until a later
	// save forgets it) so the caller can say it expired.
	TakeAuthState(ctx context.Context, stateHash string) (*ps.AuthState, error)

	// KeyCheck is the sealed value that proves which key the store was
	// sealed with; nil when there is none yet. SetKeyCheck stores it.
	KeyCheck(ctx context.Context) ([]byte, error)
	SetKeyCheck(ctx context.Context, sealed []byte) error
	// Reseal rewrites every sealed value (datasources' secrets and tokens,
	// and the key check) in one transaction; owner is a datasource id or
	// "server", field names the value.
	Reseal(ctx context.Context, reseal func(owner, field string, sealed []byte) ([]byte, error)) (int, error)

	// BeginIdempotent records a running request under its key, first
	// forgetting the key if it was recorded before expiredBefore; when the
	// key is taken it returns the record that holds it and false.
	BeginIdempotent(ctx context.Context, r *ps.IdempotentRequest, expiredBefore time.Time) (*ps.IdempotentRequest, bool, error)
	// FinishIdempotent keeps the answer of a running request.
	FinishIdempotent(ctx context.Context, workspace, key string, status int, envelope []byte) error
	// ReleaseIdempotent forgets a running request that sent nothing, so it
	// may be tried again.
	ReleaseIdempotent(ctx context.Context, workspace, key string) error
	// PurgeIdempotent forgets requests recorded before the given time.
	PurgeIdempotent(ctx context.Context, before time.Time) error

	// Learned is a value the server learnt about a service for every
	// replica (the API version it accepts), "" when none; SetLearned
	// keeps one.
	Learned(ctx context.Context, key string) (string, error)
	SetLearned(ctx context.Context, key, value string) error

	// ShareFact keeps a fact for the other replicas, forgetting facts
	// that ended long ago; FactsSince lists those with an id above after
	// that have not ended, oldest first.
	ShareFact(ctx context.Context, f ps.Fact) error
	FactsSince(ctx context.Context, after int64, now time.Time) ([]ps.Fact, error)

	Ping(ctx context.Context) error
	Close() error
}

// AuthStatusQuery is ps.Datasource.AuthStatus in SQL, for
// CountAuthStatuses: $1 is the time in Unix milliseconds, $2
// ps.ExpiringWindow in milliseconds (SQLite writes them ?1 and ?2).
// storetest checks it agrees with AuthStatus.
const AuthStatusQuery = `SELECT CASE
	WHEN access_token IS NULL OR length(access_token) = 0 THEN 'unauthorized'
	WHEN problem_status <> '' THEN problem_status
	WHEN refresh_token IS NOT NULL AND length(refresh_token) > 0 AND (refresh_expires_at IS NULL OR $1 < refresh_expires_at) THEN 'authorized'
	WHEN token_expires_at IS NOT NULL AND $1 >= token_expires_at THEN 'expired'
	WHEN token_expires_at IS NOT NULL AND token_expires_at - $1 < $2 THEN 'expiring'
	ELSE 'authorized' END AS auth_status, COUNT(*) FROM datasources GROUP BY 1`
