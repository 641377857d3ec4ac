// Package app wires the server together from its configuration: store,
// sealed tokens, OAuth broker, executor, proxy and HTTP API, and the
// sandbox when asked. main and the tests build the server the same way.
package app

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"time"

	"github.com/rs/zerolog"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/internal/circuit"
	"pluginserver/internal/config"
	"pluginserver/internal/executor"
	"pluginserver/internal/facts"
	"pluginserver/internal/httpapi"
	"pluginserver/internal/idempotency"
	"pluginserver/internal/metrics"
	"pluginserver/internal/proxy"
	"pluginserver/internal/quota"
	"pluginserver/internal/ratelimit"
	"pluginserver/internal/share"
	"pluginserver/internal/store"
	"pluginserver/internal/webhook"
	"pluginserver/internal/workers"
	"pluginserver/oauthbroker"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
	"pluginserver/plugin/linkedin/sandbox"
)

// App is a wired server.
type App struct {
	Handler http.Handler
	// Sandbox is the LinkedIn emulator, nil unless cfg.Sandbox.
	Sandbox *sandbox.Sandbox
	Broker  *oauthbroker.Broker
	store   store.Store
	facts   *facts.Sharer
	webhook *webhook.Sender
	workers *workers.Pool
	metrics *metrics.Metrics
	stop    context.CancelFunc
	done    chan struct{}
}

// ExpiringScan is how often tokens about to expire are looked for, and
// expired idempotency keys forgotten.
const ExpiringScan = 15 * time.Minute

// Options are what tests change; zero values are production's.
type Options struct {
	Now        func() time.Time
	HTTPClient *http.Client
	// UploadClient sends files to upload URLs; nil sends them with
	// HTTPClient.
	UploadClient *http.Client
	// Sleep waits between retries of a call to LinkedIn.
	Sleep func(ctx context.Context, d time.Duration) error
	// Emulate, when set, changes the emulator's options (tests make it
	// retire recent versions).
	Emulate func(*sandbox.Options)
}

// turnStall is how long an execute may compute in one turn before another
// turn is lent past it: an execute's turns last well under a millisecond
// unless it waits on something Outside did not see.
const turnStall = 10 * time.Millisecond

// New builds the server for a resolved configuration.
func New(ctx context.Context, cfg *config.Config, log zerolog.Logger, opts Options) (*App, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = proxy.NewClient(cfg.ConnectTimeout)
		opts.UploadClient = proxy.NewClient(cfg.ConnectTimeout)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a, err := wire(ctx, cfg, log, opts, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// ConfigDefaults are what the configuration falls back on: LinkedIn's
// endpoints as the plugin declares them, and the sandbox's apps for
// --sandbox (its ordinary self-serve app by default), and the memory the
// machine or container gives the process.
func ConfigDefaults() config.Defaults {
	s := linkedin.Plugin().Service
	return config.Defaults{
		Endpoints:       oauthbroker.Endpoints{AuthURL: s.AuthURL, TokenURL: s.TokenURL, RevokeURL: s.RevokeURL, APIURL: s.APIURL},
		UploadHosts:     s.UploadHosts,
		SandboxClients:  sandbox.Apps(),
		SandboxClient:   sandbox.ClientID,
		MemoryAvailable: MemoryAvailable(os.DirFS("/")),
	}
}

func wire(ctx context.Context, cfg *config.Config, log zerolog.Logger, opts Options, st store.Store) (*App, error) {
	sealer, err := openSealer(ctx, cfg, st)
	if err != nil {
		return nil, err
	}
	li := linkedin.Plugin()
	cat, err := catalog.New(li)
	if err != nil {
		return nil, err
	}
	apiURL, err := url.Parse(cfg.Endpoints.APIURL)
	if err != nil {
		return nil, fmt.Errorf("LINKEDIN_API_URL: %w", err)
	}
	// The broker's calls (code exchange, userinfo, revoke) have no command
	// deadline of their own, so its client carries one.
	oauthClient := *opts.HTTPClient
	oauthClient.Timeout = cfg.CallTimeout
	authOf := func(d *ps.Datasource) plugin.AuthConfig {
		if p, err := cat.Plugin(d.Plugin); err == nil && p.Auth != nil {
			return p.Auth(d.Config)
		}
		return plugin.AuthConfig{}
	}
	broker := &oauthbroker.Broker{Store: st, Sealer: sealer, Endpoints: cfg.Endpoints, App: cfg.App, Auth: authOf,
		RedirectURL: cfg.RedirectURL(), ReturnOrigins: cfg.ReturnOrigins, HTTPClient: &oauthClient, Now: opts.Now, Log: log,
		RefreshMargin: cfg.RefreshMargin, AppKinds: li.AppKinds}
	base := plugin.Settings{APIURL: apiURL, UploadHosts: cfg.UploadHosts}
	broker.Identify = oauthbroker.IdentifyWith(li, base, &oauthClient)
	a := &App{Broker: broker, store: st, metrics: newMetrics(cfg, cat)}
	broker.OnRefresh = a.metrics.Refresh
	if cfg.WebhookURL != "" {
		a.webhook = webhook.New(cfg.WebhookURL, cfg.WebhookSecret, &http.Client{Timeout: 15 * time.Second}, log)
		broker.Events = a.webhook
	}
	exec := &executor.Executor{Catalog: cat, Tokens: broker, Sender: &proxy.Proxy{Client: opts.HTTPClient, UploadClient: opts.UploadClient, Sleep: opts.Sleep},
		Settings: func(*ps.Datasource) plugin.Settings { return base },
		Breaker:  circuit.New(cfg.CircuitThreshold, cfg.CircuitCooldown, circuit.DefaultOutage, opts.Now),
		AppOf: func(d *ps.Datasource) string {
			return cmp.Or(authOf(d).ClientID, cfg.App.ClientID)
		},
		CallTimeout: cfg.CallTimeout, UploadTimeout: cfg.UploadTimeout,
		OnProgress: func(d *ps.Datasource, command string, p plugin.UploadProgress) {
			log.Info().Str("datasource", d.ID).Str("command", command).Int("parts", p.Parts).
				Int64("sentBytes", p.SentBytes).Int64("totalBytes", p.TotalBytes).Msg("upload progress")
		},
		Learned: st,
		OnVersion: func(pluginID, retired, version string, stored error) {
			log.Warn().Str("plugin", pluginID).Str("retired", retired).Str("version", version).AnErr("storeError", stored).
				Msg("the service refused the API version calls carried; they now carry an older one")
		},
		OnCall: a.metrics.Call, OnLimit: a.metrics.LimitHit}
	// LinkedIn's daily limits are learnt from its 429s and kept per app
	// and per member; the rate limiter only smooths, when asked for, and
	// paces by the real clock because its waits are real.
	// What one replica learns of LinkedIn (a daily limit reached, a
	// circuit opened) the others learn through the store.
	a.facts = facts.New(st, opts.Now)
	a.facts.OnError = func(err error) { log.Warn().Err(err).Msg("sharing what LinkedIn answered with other replicas") }
	exec.Quota, exec.Now = sharedQuota(quota.New(opts.Now, quota.DefaultMax), a.facts), opts.Now
	// A circuit opened is shared until it closes; a LinkedIn-wide outage
	// only as a lease of a few seconds its replica renews while it holds,
	// so a stored outage never outlives its evidence (circuit.OutageLease).
	breaker := exec.Breaker.(*circuit.Breaker)
	breaker.OnOpen = func(key string, until time.Time, why string) { a.facts.Share("circuit", key, why, until) }
	a.metrics.WatchCircuits(breaker.Open)
	a.facts.Apply("circuit", breaker.Apply)
	if cfg.RateLimit > 0 {
		exec.Limiter = ratelimit.New(cfg.RateLimit, cfg.RateBurst, nil, nil)
	}
	api := &httpapi.Server{Store: st, Catalog: cat, Broker: broker, Executor: exec, APIKeys: cfg.APIKeys,
		Anonymous: len(cfg.APIKeys) == 0 && config.IsLoopback(cfg.Addr), CORSOrigins: cfg.CORSOrigins, Log: log, Now: opts.Now,
		MaxBody: cfg.MaxBody, MaxUpload: cfg.MaxUpload, MaxStream: cfg.MaxStream,
		Idempotency: &idempotency.Guard{Store: st, Now: opts.Now, Wait: cfg.CallTimeout},
		CallTimeout: cfg.CallTimeout, UploadTimeout: cfg.UploadTimeout, Workers: workers.New(cfg.MaxExecutes),
		// Whose turn it is to compute: each workspace's, round robin,
		// about one turn per core, once two workspaces have executes
		// under way.
		Turns: workers.NewTurns(runtime.GOMAXPROCS(0), turnStall),
		// Whose share is whose: every workspace, and every datasource in
		// it, may hold at most WorkspaceShare of each pool.
		Executes:    share.New(int64(cfg.MaxExecutes), cfg.WorkspaceShare),
		Uploads:     share.New(int64(cfg.MaxUploads), cfg.WorkspaceShare),
		BodyMemory:  share.New(cfg.BodyMemory, cfg.WorkspaceShare),
		BodyTimeout: cfg.BodyTimeout, Metrics: a.metrics, MetricsPublic: cfg.MetricsPublic}
	a.workers = api.Workers
	if cfg.Sandbox {
		emulated := sandbox.Options{BaseURL: cfg.SandboxURL(), Now: opts.Now, Logf: func(format string, args ...any) {
			log.Info().Str("component", "sandbox").Msgf(format, args...)
		}}
		if opts.Emulate != nil {
			opts.Emulate(&emulated)
		}
		a.Sandbox = sandbox.New(emulated)
		api.Sandbox = a.Sandbox
		if cfg.SandboxPublic {
			log.Warn().Str("sandbox", cfg.SandboxURL()).Msg("--sandbox-public: the LinkedIn emulator is reachable by others, and its consent page approves for anyone who clicks")
		}
	}
	a.Handler = api.Handler()
	if api.Anonymous {
		log.Warn().Msg("no PLUGIN_SERVER_API_KEYS: anonymous calls act as admin of workspace \"default\" (allowed on loopback only)")
	}
	return a, nil
}

// Start runs the background work: webhook deliveries, and announcing
// tokens about to expire.
func (a *App) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	a.stop, a.done = cancel, make(chan struct{})
	if a.webhook != nil {
		a.webhook.Start()
	}
	sharing := make(chan struct{})
	go func() {
		defer close(sharing)
		a.facts.Run(ctx)
	}()
	counting := make(chan struct{})
	go func() {
		defer close(counting)
		a.countDatasources(ctx)
	}()
	go func() {
		defer close(a.done)
		defer func() { <-sharing; <-counting }()
		tick := time.NewTicker(ExpiringScan)
		defer tick.Stop()
		for {
			if err := a.Broker.AnnounceExpiring(ctx); err != nil && ctx.Err() == nil {
				a.Broker.Log.Error().Err(err).Msg("announce expiring tokens")
			}
			if err := a.store.PurgeIdempotent(ctx, a.Broker.Now().Add(-idempotency.TTL)); err != nil && ctx.Err() == nil {
				a.Broker.Log.Error().Err(err).Msg("purge idempotency keys")
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// Close stops the background work, delivers the events still queued (for a
// few seconds at most) and closes the store.
func (a *App) Close() error {
	if a.stop != nil {
		a.stop()
		<-a.done
		if a.webhook != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			a.webhook.Close(ctx)
			cancel()
		}
	}
	a.workers.Close()
	return a.store.Close()
}

// AuthCount is how often the datasources of every workspace are counted by
// auth status for /metrics: one aggregate query a minute per replica,
// whatever the number of workspaces, datasources or scrapes.
const AuthCount = time.Minute

// newMetrics makes the server's collectors; the plugins' command names are
// the only ones that may be label values.
func newMetrics(cfg *config.Config, cat *catalog.Catalog) *metrics.Metrics {
	commands := []string{executor.OptionsCall}
	for _, p := range cat.Plugins() {
		for _, c := range p.Commands {
			commands = append(commands, c.ID)
		}
	}
	return metrics.New(metrics.Options{Workspaces: cfg.MetricsWorkspaces, Commands: commands})
}

// countDatasources counts the datasources by auth status every AuthCount,
// until ctx ends.
func (a *App) countDatasources(ctx context.Context) {
	tick := time.NewTicker(AuthCount)
	defer tick.Stop()
	for {
		counts, err := a.store.CountAuthStatuses(ctx, a.Broker.Now())
		if err == nil {
			a.metrics.SetDatasources(counts)
		} else if ctx.Err() == nil {
			a.Broker.Log.Warn().Err(err).Msg("count datasources for /metrics")
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
