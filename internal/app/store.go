package app

import (
	"context"

	"pluginserver/internal/config"
	"pluginserver/internal/store"
	"pluginserver/internal/store/postgres"
	"pluginserver/internal/store/sqlite"
)

// openStore opens the store PLUGIN_SERVER_DB names: a PostgreSQL database
// that replicas share, or a SQLite file.
func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if config.IsPostgres(cfg.DB) {
		return postgres.Open(ctx, cfg.DB, postgres.Options{MaxConns: int32(cfg.DBMaxConns)})
	}
	return sqlite.Open(ctx, cfg.DB)
}
