// Command plugin-server is the LinkedIn datasource plugin server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"pluginserver/internal/app"
	"pluginserver/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "plugin-server:", err)
		os.Exit(1)
	}
}

// run starts the server and serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

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
	log.Info().Str("addr", ln.Addr().String()).Str("publicUrl", cfg.PublicURL).Str("db", cfg.DB).Bool("sandbox", cfg.Sandbox).Msg("plugin-server listening")
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
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func newLogger(cfg *config.Config, stderr io.Writer) zerolog.Logger {
	format := cfg.LogFormat
	if format == "" {
		format = "json"
		if f, ok := stderr.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "console"
			}
		}
	}
	var w io.Writer = stderr
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(cfg.LogLevel).With().Timestamp().Logger()
}
