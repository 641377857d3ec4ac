// Package store defines what the server keeps and where: every backend
// implements Store and passes the conformance suite in storetest.
package store

import (
	"context"

	ps "pluginserver"
)

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
	// SetToken replaces the datasource's token; nil forgets it.
	SetToken(ctx context.Context, workspace, id string, t *ps.Token) error

	SaveAuthState(ctx context.Context, s *ps.AuthState) error
	// TakeAuthState removes and returns a pending authorization, so a state
	// can be used once only.
	TakeAuthState(ctx context.Context, stateHash string) (*ps.AuthState, error)

	Ping(ctx context.Context) error
	Close() error
}
