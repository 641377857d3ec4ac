// Command plugin-server is the LinkedIn datasource plugin server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/internal/config"
	"pluginserver/internal/executor"
	"pluginserver/internal/httpapi"
	"pluginserver/internal/proxy"
	"pluginserver/internal/store/sqlite"
	"pluginserver/oauthbroker"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
	"pluginserver/plugin/linkedin/sandbox"
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

	st, err := sqlite.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	key := cfg.SecretKey
	if key == nil {
		if key, err = oauthbroker.LoadOrCreateKey(cfg.DB + ".key"); err != nil {
			return err
		}
	}
	sealer, err := oauthbroker.NewSealer(key)
	if err != nil {
		return err
	}
	cat, err := catalog.New(linkedin.Plugin())
	if err != nil {
		return err
	}
	apiURL, err := url.Parse(cfg.Endpoints.APIURL)
	if err != nil {
		return fmt.Errorf("LINKEDIN_API_URL: %w", err)
	}
	client := proxy.NewClient(cfg.CallTimeout)
	broker := &oauthbroker.Broker{Store: st, Sealer: sealer, Endpoints: cfg.Endpoints, App: cfg.App,
		RedirectURL: cfg.RedirectURL(), ReturnOrigins: cfg.ReturnOrigins, HTTPClient: client, Now: time.Now, Log: log}
	base := plugin.Settings{APIURL: apiURL, UploadHosts: cfg.UploadHosts}
	exec := &executor.Executor{Catalog: cat, Tokens: broker, Sender: &proxy.Proxy{Client: client},
		Settings: func(d *ps.Datasource) plugin.Settings { return linkedin.Settings(base, d.Config, time.Now()) }}
	api := &httpapi.Server{Store: st, Catalog: cat, Broker: broker, Executor: exec, APIKeys: cfg.APIKeys,
		Anonymous: len(cfg.APIKeys) == 0, Log: log, Now: time.Now}
	if cfg.Sandbox {
		api.Sandbox = sandbox.New(sandbox.Options{BaseURL: cfg.SandboxURL()})
	}

	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	if api.Anonymous {
		log.Warn().Msg("no PLUGIN_SERVER_API_KEYS: anonymous calls act as admin of workspace \"default\" (allowed on loopback only)")
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
