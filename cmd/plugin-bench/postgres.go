package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// Names of the PostgreSQL cases; the report sets them beside "server
// getUserInfo", the same on SQLite.
const (
	casePostgres2 = "server getUserInfo, PostgreSQL, 2 replicas"
	casePostgres1 = "server getUserInfo, PostgreSQL, 1 replica"
)

// pgSchema is the harness's own schema in the -postgres database: the
// replicas' tables start empty, as a new install's do, and nobody else's
// tables are touched or left behind.
type pgSchema struct {
	dsn, name string
}

// createSchema makes a schema of a random name, plugin_bench_ and hex, so
// one left behind by a harness killed outright is known for what it is.
func createSchema(ctx context.Context, dsn string) (*pgSchema, error) {
	s := &pgSchema{dsn: dsn, name: "plugin_bench_" + newKey()[:12]}
	return s, s.exec(ctx, `CREATE SCHEMA `+pgx.Identifier{s.name}.Sanitize())
}

// drop removes the schema and everything the replicas made in it. It runs
// after the replicas stopped, also when the run failed or was
// interrupted, so it does not take ctx, which may be cancelled by then.
func (s *pgSchema) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{s.name}.Sanitize()+` CASCADE`)
}

func (s *pgSchema) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s: %w", shownDSN(s.dsn), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("PostgreSQL at %s: %s: %w", shownDSN(s.dsn), sql, err)
	}
	return nil
}

// checkDSN is -postgres's check, before anything is built or started: the
// server takes only a URL, to which the schema is added as a parameter.
func checkDSN(dsn string) error {
	if u, err := url.Parse(dsn); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("-postgres: must be a postgres:// URL, as PLUGIN_SERVER_DB takes")
	}
	return nil
}

// serverDB is the PLUGIN_SERVER_DB of the replicas: the DSN with the
// schema as search_path, which pgx sends as the connections' setting.
func (s *pgSchema) serverDB() string {
	u, _ := url.Parse(s.dsn)
	q := u.Query()
	q.Set("search_path", s.name)
	u.RawQuery = q.Encode()
	return u.String()
}

// replicaSettings are what replicas sharing a database need beside the
// SQLite server's: the one secret key that opens every replica's secrets.
func replicaSettings() []string {
	key := make([]byte, 32)
	rand.Read(key)
	return []string{"PLUGIN_SERVER_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}
}

// shownDSN is a DSN fit for the report: without its password.
func shownDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unreadable URL)"
	}
	return u.Redacted()
}
