package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	ps "pluginserver"
	"pluginserver/internal/store"
	"pluginserver/internal/store/postgres"
	"pluginserver/internal/store/storetest"
)

// dsn is the PostgreSQL the tests use: the machine's, unless
// PLUGIN_SERVER_TEST_POSTGRES names another.
func dsn() string {
	if v := os.Getenv("PLUGIN_SERVER_TEST_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// admin is a connection for the test's own setup. The test is skipped
// when no PostgreSQL answers, and fails when one answers with an error
// (a missing database is a broken setup, not an absent server).
func admin(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		t.Fatalf("PostgreSQL refused the test connection: %v", err)
	}
	if err != nil {
		t.Skipf("no PostgreSQL at %s: %v", where(t), err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// where is the host and port of dsn, for messages.
func where(t *testing.T) string {
	cfg, err := pgx.ParseConfig(dsn())
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
}

// newSchema names a schema of the test's own, dropped when it ends.
func newSchema(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	conn := admin(t)
	name := fmt.Sprintf("test_%016x", rand.Uint64())
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name, conn
}

func open(t *testing.T, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn(), postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	admin(t) // skip the suite at once when no PostgreSQL answers
	storetest.Run(t, func(t *testing.T) (store.Store, store.Store) {
		schema, _ := newSchema(t)
		return open(t, schema), open(t, schema)
	})
}

// TestOpenRace: replicas starting together on a fresh database all start,
// and each migration is applied once.
func TestOpenRace(t *testing.T) {
	schema, conn := newSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), dsn(), postgres.Options{Schema: schema})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("a replica starting beside others: %v", err)
		}
	}
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM `+schema+`.schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir("migrations"); n != len(files) {
		t.Fatalf("schema_migrations holds %d rows, want %d (each migration applied once)", n, len(files))
	}
}

// TestNewerSchemaRefused: a database a newer binary migrated is refused at
// start, saying what to do.
func TestNewerSchemaRefused(t *testing.T) {
	schema, conn := newSchema(t)
	open(t, schema).Close()
	if _, err := conn.Exec(context.Background(), `INSERT INTO `+schema+`.schema_migrations (version) VALUES ('migrations/999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(context.Background(), dsn(), postgres.Options{Schema: schema})
	if err == nil {
		s.Close()
		t.Fatal("opened a database at a newer schema version")
	}
	if want := "schema version 999_future, newer than this binary knows (" + latestMigration(t) + "); upgrade plugin-server"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
}

// TestBadDSN: a DSN that cannot work fails Open soon, naming the server
// and never the password.
func TestBadDSN(t *testing.T) {
	admin(t) // these cases need no server, but say what the others need
	cfg, err := pgx.ParseConfig(dsn())
	if err != nil {
		t.Fatal(err)
	}
	const password = "s3cret-pw"
	withPassword := func(host, database, query string) string {
		u := url.URL{Scheme: "postgres", User: url.UserPassword(cfg.User, password), Host: host, Path: "/" + database, RawQuery: query}
		return u.String()
	}
	// silent accepts connections and never answers, as a wedged server or
	// a firewall dropping packets would.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() }) // after the parallel subtests
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	server := fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
	for _, tc := range []struct {
		name, dsn, names string
		within           time.Duration
	}{
		{"refused", withPassword("127.0.0.1:1", "test", "sslmode=disable"), "127.0.0.1:1", time.Second},
		{"no such database", withPassword(server, "no_such_database", "sslmode=disable"), server, time.Second},
		{"silent server", withPassword(silent.Addr().String(), "test", "sslmode=disable&connect_timeout=1"), silent.Addr().String(), 2 * time.Second},
		{"silent server, default timeout", withPassword(silent.Addr().String(), "test", "sslmode=disable"), silent.Addr().String(), 7 * time.Second},
		{"unparsable", "postgres://postgres:" + password + "@127.0.0.1:port/test", "", time.Second},
		{"keywords", "host=127.0.0.1 port=1 dbname=test sslmode=disable password=" + password, "127.0.0.1:1", time.Second},
		{"unparsable keywords", "host=127.0.0.1 port=x password=" + password, "", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			s, err := postgres.Open(context.Background(), tc.dsn, postgres.Options{})
			took := time.Since(start)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			t.Logf("after %v: %s", took.Round(time.Millisecond), msg)
			if strings.Contains(msg, password) {
				t.Errorf("the error shows the password: %s", msg)
			}
			if !strings.Contains(msg, tc.names) {
				t.Errorf("the error does not name %s: %s", tc.names, msg)
			}
			if took > tc.within {
				t.Errorf("Open took %v, want at most %v", took, tc.within)
			}
		})
	}
}

// TestCacheFollowsNotifications: a second read is served from the cache,
// and another Store's change evicts it within storetest.SeenWithin.
func TestCacheFollowsNotifications(t *testing.T) {
	ctx := context.Background()
	schema, _ := newSchema(t)
	a, b := open(t, schema), open(t, schema)
	if err := a.CreateDatasource(ctx, storetest.NewDatasource("w", "ds")); err != nil {
		t.Fatal(err)
	}
	// The create's own notification may arrive while the first read is
	// under way, and then what it read is not kept; a later one is.
	for i := 0; !b.Cached("w", "ds"); i++ {
		if i == 10 {
			t.Fatal("a read datasource is not cached: every execute would query")
		}
		if _, err := b.Datasource(ctx, "w", "ds"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if err := a.SetToken(ctx, "w", "ds", &ps.Token{Access: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for b.Cached("w", "ds") {
		if time.Since(start) > storetest.SeenWithin {
			t.Fatalf("another Store's change did not evict the cached datasource within %v", storetest.SeenWithin)
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("evicted after %v", time.Since(start))
	if d, err := b.Datasource(ctx, "w", "ds"); err != nil || d.Token == nil || string(d.Token.Access) != "new" {
		t.Fatalf("after eviction: %+v, %v", d, err)
	}
}

// TestListenConnectionKilled: when the listening connection dies, changes
// made meanwhile are not lost: the cache is emptied and reads go to the
// database until it listens again.
func TestListenConnectionKilled(t *testing.T) {
	ctx := context.Background()
	schema, conn := newSchema(t)
	a, b := open(t, schema), open(t, schema)
	if err := a.CreateDatasource(ctx, storetest.NewDatasource("w", "ds")); err != nil {
		t.Fatal(err)
	}
	setAndSee := func(access string) {
		t.Helper()
		if _, err := b.Datasource(ctx, "w", "ds"); err != nil { // cached, if listening
			t.Fatal(err)
		}
		if err := a.SetToken(ctx, "w", "ds", &ps.Token{Access: []byte(access)}); err != nil {
			t.Fatal(err)
		}
		for start := time.Now(); ; time.Sleep(time.Millisecond) {
			d, err := b.Datasource(ctx, "w", "ds")
			if err == nil && d.Token != nil && string(d.Token.Access) == access {
				return
			}
			if time.Since(start) > storetest.SeenWithin {
				t.Fatalf("%s not seen within %v: %+v, %v", access, storetest.SeenWithin, d, err)
			}
		}
	}
	setAndSee("before")
	pid := b.ListenPID()
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)); err != nil {
		t.Fatal(err)
	}
	setAndSee("during") // the notification may go to the dead connection
	for start := time.Now(); !b.Listening() || b.ListenPID() == pid; time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the cache did not listen again within 5s")
		}
	}
	if d, err := b.Datasource(ctx, "w", "ds"); err != nil || string(d.Token.Access) != "during" {
		t.Fatalf("after listening again: %+v, %v", d, err)
	}
	setAndSee("after")
	if err := b.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// latestMigration is the newest migration this binary has, by name.
func latestMigration(t *testing.T) string {
	files, err := os.ReadDir("migrations")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v", err)
	}
	return strings.TrimSuffix(files[len(files)-1].Name(), ".sql")
}
