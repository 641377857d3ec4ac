// Command plugin-server is the LinkedIn datasource plugin server.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"pluginserver/internal/app"
	"pluginserver/internal/config"
	"pluginserver/internal/heapfloor"
	"pluginserver/oauthbroker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "plugin-server:", err)
		os.Exit(1)
	}
}

// heapFloor is the heap target the collector keeps while the live heap
// is small: 32 MiB, or a quarter of the memory limit when that is less.
func heapFloor(memoryLimit int64) uint64 {
	floor := int64(32 << 20)
	if memoryLimit > 0 {
		floor = min(floor, memoryLimit/4)
	}
	return uint64(floor)
}

// run starts the server and serves until ctx is done; "rotate-key"
// re-seals the store under a new key instead, "migrate-db" copies a
// SQLite install into PostgreSQL, and "healthcheck" asks a running
// server's /readyz.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rotate-key" {
		return rotateKey(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "migrate-db" {
		return migrateDB(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(ctx, args[1:], getenv, stdout, stderr)
	}
	cfg, err := config.Parse(app.ConfigDefaults(), args, getenv, stderr)
	if err != nil {
		return err
	}
	log, flushLog := newLogger(cfg, stderr)
	// Deferred first so it runs last: "shutting down" and whatever the
	// server logs while it stops reach stderr before run returns.
	defer flushLog()
	if cfg.MemoryLimit > 0 {
		// The limit is the process's, so a test that runs the server
		// inside its own process gets its limit back.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(cfg.MemoryLimit))
	}
	if getenv("GOGC") == "" {
		// The collector ran every few MiB of a small live heap; an
		// operator's GOGC is theirs to keep.
		defer heapfloor.Start(heapFloor(cfg.MemoryLimit), 100)()
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	cfg.Resolve(ln.Addr().String())

	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	a.Start()
	defer a.Close()

	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	log.Info().Str("addr", ln.Addr().String()).Str("publicUrl", cfg.PublicURL).Str("db", config.ShowDB(cfg.DB)).Bool("sandbox", cfg.Sandbox).
		Int64("memoryLimit", debug.SetMemoryLimit(-1)).Msg("plugin-server listening")
	fmt.Fprintf(stdout, "plugin-server listening on %s\n", cfg.PublicURL)
	if cfg.Sandbox {
		fmt.Fprintf(stdout, "sandbox: LinkedIn is emulated at %s (no LinkedIn account needed)\n", cfg.SandboxURL())
	}
	fmt.Fprintf(stdout, "OAuth redirect URI: %s\n", cfg.RedirectURL())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// rotateKey re-seals every secret and token under a new key. Stop the
// servers that share the database first: they hold the old key.
func rotateKey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(app.ConfigDefaults(), args, getenv, stderr)
	if err != nil {
		return err
	}
	var newKey []byte
	if k := getenv("PLUGIN_SERVER_NEW_SECRET_KEY"); k != "" {
		if newKey, err = oauthbroker.ParseKey(k); err != nil {
			return fmt.Errorf("PLUGIN_SERVER_NEW_SECRET_KEY: %w", err)
		}
	}
	n, err := app.RotateKey(ctx, cfg, newKey)
	if err != nil {
		return fmt.Errorf("rotate-key: %w", err)
	}
	fmt.Fprintf(stdout, "re-sealed %d secrets in %s under the new key\n", n, config.ShowDB(cfg.DB))
	if cfg.SecretKey != nil {
		fmt.Fprintln(stdout, "set PLUGIN_SERVER_SECRET_KEY to the value of PLUGIN_SERVER_NEW_SECRET_KEY before the next start")
	} else {
		fmt.Fprintf(stdout, "the new key is in %s.key\n", cfg.DB)
	}
	return nil
}

// migrateDB copies a single-node install's SQLite file into an empty
// PostgreSQL database for replicas to share.
func migrateDB(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate-db", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", getenv("PLUGIN_SERVER_DB"), "the SQLite file to copy (PLUGIN_SERVER_DB)")
	to := fs.String("to", "", "the postgres:// database to copy it into; it must be empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	counts, err := app.MigrateDB(ctx, *from, *to)
	if err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	fmt.Fprintf(stdout, "copied %s into %s: %d datasources, %d pending authorizations, %d idempotency records, %d server values\n",
		*from, config.ShowDB(*to), counts["datasources"], counts["auth_states"], counts["idempotency"], counts["meta"])
	fmt.Fprintf(stdout, "secrets and tokens were copied sealed: start the replicas with PLUGIN_SERVER_SECRET_KEY set to the key %s used (%s.key, if it used a key file)\n", *from, *from)
	return nil
}

// healthcheck asks the server listening at PLUGIN_SERVER_ADDR (or --addr)
// whether it is ready: nil on /readyz's 200, an error otherwise, so the
// exit status tells a container runtime. distroless images have no curl;
// the binary asks itself. An address on every interface (0.0.0.0, ::, or
// none) is asked on loopback.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", cmp.Or(getenv("PLUGIN_SERVER_ADDR"), "127.0.0.1:8080"), "the address the server listens at (PLUGIN_SERVER_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("healthcheck: PLUGIN_SERVER_ADDR %q: must be host:port", *addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "ready: %s\n", url)
	return nil
}
