// Package config reads the server's configuration from flags and the
// environment (flags win) and checks all of it at once.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	ps "pluginserver"
	"pluginserver/oauthbroker"
)

// APIKey is one entry of PLUGIN_SERVER_API_KEYS.
type APIKey struct {
	Key    string
	Caller ps.Caller
}

// Config is everything the server is told at start.
type Config struct {
	Addr      string
	PublicURL string
	DB        string
	// DBMaxConns bounds the PostgreSQL pool; 0 is pgx's default.
	DBMaxConns    int
	SecretKey     []byte // nil: use or make <db>.key
	APIKeys       []APIKey
	ReturnOrigins []string
	// CORSOrigins are the browser origins allowed to call the API, in
	// Origin's form (see Origin).
	CORSOrigins []string
	Sandbox     bool
	// SandboxPublic allows the emulator on a public URL anyone can reach,
	// where its consent page approves for whoever clicks.
	SandboxPublic bool
	App           oauthbroker.App
	Endpoints     oauthbroker.Endpoints
	UploadHosts   []string
	LogLevel      zerolog.Level
	LogFormat     string // "console", "json" or "" for: console on a terminal
	// CallTimeout bounds a command's call to LinkedIn, retries included;
	// UploadTimeout a file upload; ConnectTimeout making a connection.
	CallTimeout, UploadTimeout, ConnectTimeout time.Duration
	// ShutdownGrace is how long calls in flight may finish after SIGTERM.
	ShutdownGrace time.Duration
	// CircuitThreshold failures or 429s in a row pause calls for
	// CircuitCooldown.
	CircuitThreshold int
	CircuitCooldown  time.Duration
	// RefreshMargin is how long before expiry a refreshable token is renewed.
	RefreshMargin time.Duration
	// MaxBody and MaxUpload cap request bodies: JSON, and JSON of commands
	// that carry a file in their params (both held in memory); MaxStream
	// caps a file streamed as the body, which is never held.
	MaxBody, MaxUpload, MaxStream int64
	// RateLimit smooths each datasource's calls to this many per second,
	// calls over it waiting their turn (0: none, the default, since
	// LinkedIn's limits are daily); RateBurst may go at once.
	RateLimit float64
	RateBurst int
	// MaxExecutes is how many JSON executes run at once; more wait their
	// turn, up to CallTimeout.
	MaxExecutes int
	// MaxUploads is how many files may stream to LinkedIn at once.
	MaxUploads int
	// BodyMemory is how many bytes of request bodies the server holds at
	// once.
	BodyMemory int64
	// WorkspaceShare is the part of MaxExecutes, MaxUploads and
	// BodyMemory that one workspace, or one datasource, may hold.
	WorkspaceShare float64
	// BodyTimeout is how long a JSON request body may take to arrive.
	BodyTimeout time.Duration
	// MemoryLimit is the Go runtime's soft memory limit in bytes: past
	// it the collector works harder instead of the heap growing. 0 leaves
	// the runtime's own (GOMEMLIMIT, or none).
	MemoryLimit int64
	// WebhookURL receives auth events, signed with WebhookSecret.
	WebhookURL    string
	WebhookSecret string
	// MetricsWorkspaces labels the request and execute counters of
	// /metrics with the workspace; MetricsPublic serves /metrics to
	// callers other than loopback.
	MetricsWorkspaces, MetricsPublic bool

	// defaults are what Parse was given, for Resolve.
	defaults Defaults
}

// Defaults are what the settings fall back on: where the service lives
// and the emulator's apps. The composition root fills them from the
// plugin's declaration (plugin.Plugin.Service) and its sandbox, so this
// package knows neither.
type Defaults struct {
	// Endpoints are the service's OAuth and API URLs, each replaced by
	// its LINKEDIN_*_URL, or by the emulator's with --sandbox.
	Endpoints oauthbroker.Endpoints
	// UploadHosts are the hosts an upload URL may point to when
	// LINKEDIN_UPLOAD_HOSTS is unset. The host of the API URL in use is
	// always one of them, in place of Endpoints.APIURL's.
	UploadHosts []string
	// SandboxClients are the emulator's apps, client id to secret: with
	// --sandbox, LINKEDIN_CLIENT_ID must name one of them.
	SandboxClients map[string]string
	// SandboxClient is the app used with --sandbox when LINKEDIN_CLIENT_ID
	// is unset; one of SandboxClients.
	SandboxClient string
	// MemoryAvailable is the memory the machine or container gives the
	// process, in bytes, 0 when not known: the memory limit's default
	// follows from it (MemoryLimitFor).
	MemoryAvailable int64
}

// MemoryLimitFor is PLUGIN_SERVER_MEMORY_LIMIT's default for a process
// that may use available bytes (what the machine or container gives, 0
// when not known) and holds at most bodyMemory bytes of request bodies:
// the memory the server is built to need at most, or nine tenths of what
// it may use, whichever is smaller. The server's own budget is twice its
// body memory (a held body is copied a few times while it runs: the body,
// its params, the decoded file) plus 32 MiB for everything else: a
// thousand callers at once stay far below it, so the limit never slows
// them (a fixed 48 MiB did, making the collector the bottleneck), while a
// crowd of large uploads is held to it rather than to twice its live
// heap. The
// tenth left of a container's memory is for what the Go runtime does not
// count (the mapped binary, the kernel's buffers), so the collector works
// harder before the container's limit would kill the process.
func MemoryLimitFor(available, bodyMemory int64) int64 {
	budget := 2*bodyMemory + 32<<20
	if available > 0 {
		return min(budget, available/10*9)
	}
	return budget
}

// MinAPIKeyLength is the shortest API key accepted: a key is the only
// thing between the network and a workspace's admin API.
const MinAPIKeyLength = 16

var workspacePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Parse reads flags and environment, falling back on d. Every problem is
// listed in the error.
func Parse(d Defaults, args []string, getenv func(string) string, usage io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("plugin-server", flag.ContinueOnError)
	fs.SetOutput(usage)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := &Config{defaults: d}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	number := func(name string, def float64) float64 {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			bad("%s %q: must be a number", name, v)
			return def
		}
		return n
	}
	fs.StringVar(&c.Addr, "addr", env("PLUGIN_SERVER_ADDR", "127.0.0.1:8080"), "listen address (PLUGIN_SERVER_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", env("PLUGIN_SERVER_PUBLIC_URL", ""), "base of the OAuth redirect URI (PLUGIN_SERVER_PUBLIC_URL)")
	fs.StringVar(&c.DB, "db", env("PLUGIN_SERVER_DB", "plugin-server.db"), "SQLite file path, or a postgres:// URL for a store replicas share (PLUGIN_SERVER_DB)")
	dbMaxConns := fs.Int("db-max-conns", int(number("PLUGIN_SERVER_DB_MAX_CONNS", 0)), "PostgreSQL connections at most, 0 for max(4, CPUs) (PLUGIN_SERVER_DB_MAX_CONNS)")
	sandboxOn := env("PLUGIN_SERVER_SANDBOX", "")
	fs.BoolVar(&c.Sandbox, "sandbox", sandboxOn != "" && sandboxOn != "0" && sandboxOn != "false", "serve the LinkedIn emulator and use it (PLUGIN_SERVER_SANDBOX)")
	sandboxPublic := env("PLUGIN_SERVER_SANDBOX_PUBLIC", "")
	fs.BoolVar(&c.SandboxPublic, "sandbox-public", sandboxPublic != "" && sandboxPublic != "0" && sandboxPublic != "false",
		"allow --sandbox on a public URL that others can reach (PLUGIN_SERVER_SANDBOX_PUBLIC)")
	logLevel := fs.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", ""), "console or json (LOG_FORMAT)")
	durations := []struct {
		dst      *time.Duration
		flag, ev string
		def      time.Duration
		usage    string
	}{
		{&c.CallTimeout, "call-timeout", "PLUGIN_SERVER_CALL_TIMEOUT", 30 * time.Second, "longest wait for a command's call to LinkedIn"},
		{&c.UploadTimeout, "upload-timeout", "PLUGIN_SERVER_UPLOAD_TIMEOUT", 5 * time.Minute, "longest wait for an upload to LinkedIn"},
		{&c.ConnectTimeout, "connect-timeout", "PLUGIN_SERVER_CONNECT_TIMEOUT", 5 * time.Second, "longest wait for a connection to LinkedIn"},
		{&c.ShutdownGrace, "shutdown-grace", "PLUGIN_SERVER_SHUTDOWN_GRACE", 15 * time.Second, "how long calls in flight may finish after SIGTERM"},
		{&c.BodyTimeout, "body-timeout", "PLUGIN_SERVER_BODY_TIMEOUT", 20 * time.Second, "longest wait for a JSON request body to arrive"},
		{&c.CircuitCooldown, "circuit-cooldown", "PLUGIN_SERVER_CIRCUIT_COOLDOWN", 30 * time.Second, "pause after repeated failures or 429s"},
	}
	for _, d := range durations {
		def := d.def
		if v := getenv(d.ev); v != "" {
			if parsed, err := time.ParseDuration(v); err == nil && parsed > 0 {
				def = parsed
			} else {
				bad("%s %q: must be a positive duration such as 30s", d.ev, v)
			}
		}
		fs.DurationVar(d.dst, d.flag, def, d.usage+" ("+d.ev+")")
	}
	threshold := fs.Int("circuit-threshold", int(number("PLUGIN_SERVER_CIRCUIT_THRESHOLD", 5)), "failures or 429s in a row that pause calls (PLUGIN_SERVER_CIRCUIT_THRESHOLD)")
	maxBody := fs.Int64("max-body", int64(number("PLUGIN_SERVER_MAX_BODY", 1<<20)), "largest JSON request body in bytes (PLUGIN_SERVER_MAX_BODY)")
	maxUpload := fs.Int64("max-upload", int64(number("PLUGIN_SERVER_MAX_UPLOAD", 25<<20)), "largest JSON body of a command that carries a file in its params, in bytes (PLUGIN_SERVER_MAX_UPLOAD)")
	maxStream := fs.Int64("max-stream", int64(number("PLUGIN_SERVER_MAX_STREAM", 5<<30)), "largest file streamed as the request's body, in bytes (PLUGIN_SERVER_MAX_STREAM)")
	rate := fs.Float64("rate-limit", number("PLUGIN_SERVER_RATE_LIMIT", 0), "smooth each datasource's LinkedIn calls to this many per second, the ones over it waiting their turn; 0 for none (PLUGIN_SERVER_RATE_LIMIT)")
	burst := fs.Int("rate-burst", int(number("PLUGIN_SERVER_RATE_BURST", 20)), "LinkedIn calls a datasource may make at once before the rate applies (PLUGIN_SERVER_RATE_BURST)")
	maxExecutes := fs.Int("max-executes", int(number("PLUGIN_SERVER_MAX_EXECUTES", 128)), "JSON executes that run at once; more wait their turn (PLUGIN_SERVER_MAX_EXECUTES)")
	maxUploads := fs.Int("max-uploads", int(number("PLUGIN_SERVER_MAX_UPLOADS", 64)), "files that stream to LinkedIn at once (PLUGIN_SERVER_MAX_UPLOADS)")
	bodyMemory := fs.Int64("body-memory", int64(number("PLUGIN_SERVER_BODY_MEMORY", 0)), "bytes of request bodies held at once; 0 for twice the upload limit, at least 64 MiB (PLUGIN_SERVER_BODY_MEMORY)")
	workspaceShare := fs.Float64("workspace-share", number("PLUGIN_SERVER_WORKSPACE_SHARE", 0.5), "part of the executes, uploads and body memory one workspace or datasource may hold (PLUGIN_SERVER_WORKSPACE_SHARE)")
	// -1: derived from the body memory and what the machine or container
	// gives (MemoryLimitFor). An operator's GOMEMLIMIT wins.
	defaultMemoryLimit := float64(-1)
	if getenv("GOMEMLIMIT") != "" {
		defaultMemoryLimit = 0
	}
	memoryLimit := fs.Int64("memory-limit", int64(number("PLUGIN_SERVER_MEMORY_LIMIT", defaultMemoryLimit)), "soft limit on the Go runtime's memory in bytes; -1 for twice the body memory plus 32 MiB, at most nine tenths of what the machine or container gives; 0 for GOMEMLIMIT's or none (PLUGIN_SERVER_MEMORY_LIMIT)")
	margin := fs.String("refresh-margin", env("PLUGIN_SERVER_REFRESH_MARGIN", "10m"), "renew a refreshable token this long before it expires (PLUGIN_SERVER_REFRESH_MARGIN)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("PLUGIN_SERVER_ADDR %q: must be host:port", c.Addr)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("PLUGIN_SERVER_PUBLIC_URL %q: must be an absolute http(s) URL", c.PublicURL)
		}
		c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	}
	if c.DBMaxConns = *dbMaxConns; c.DBMaxConns < 0 || c.DBMaxConns > 10000 {
		bad("PLUGIN_SERVER_DB_MAX_CONNS %d: must be between 0 and 10000", c.DBMaxConns)
	}
	if IsPostgres(c.DB) && getenv("PLUGIN_SERVER_SECRET_KEY") == "" {
		bad("PLUGIN_SERVER_SECRET_KEY is required with a PostgreSQL store: every replica must open the same secrets, and there is no file beside the database to keep a key in")
	}
	if k := getenv("PLUGIN_SERVER_SECRET_KEY"); k != "" {
		key, err := oauthbroker.ParseKey(k)
		if err != nil {
			bad("PLUGIN_SERVER_SECRET_KEY: %v", err)
		}
		c.SecretKey = key
	}
	// The messages name entries by position: a key is a secret, and
	// start-up errors end up in logs.
	firstEntry := map[string]int{}
	for i, entry := range splitList(getenv("PLUGIN_SERVER_API_KEYS")) {
		parts := strings.Split(entry, ":")
		if len(parts) != 3 || parts[0] == "" {
			bad("PLUGIN_SERVER_API_KEYS entry %d: must be KEY:ROLE:WORKSPACE", i+1)
			continue
		}
		// A repeated key would silently take the last entry's role and
		// workspace, which is never what the operator meant.
		if first, ok := firstEntry[parts[0]]; ok {
			bad("PLUGIN_SERVER_API_KEYS entry %d: the same key as entry %d; list each key once", i+1, first)
			continue
		}
		firstEntry[parts[0]] = i + 1
		if utf8.RuneCountInString(parts[0]) < MinAPIKeyLength {
			bad("PLUGIN_SERVER_API_KEYS entry %d: the key must be at least %d characters (e.g. openssl rand -hex 24)", i+1, MinAPIKeyLength)
		}
		role := ps.Role(parts[1])
		if role != ps.RoleAdmin && role != ps.RoleBuilder {
			bad("PLUGIN_SERVER_API_KEYS entry %d: role must be admin or builder", i+1)
		}
		if !workspacePattern.MatchString(parts[2]) {
			bad("PLUGIN_SERVER_API_KEYS entry %d: workspace must be 1-64 letters, digits, '.', '_' or '-'", i+1)
		}
		c.APIKeys = append(c.APIKeys, APIKey{Key: parts[0], Caller: ps.Caller{Workspace: parts[2], Role: role}})
	}
	for _, o := range splitList(getenv("PLUGIN_SERVER_RETURN_ORIGINS")) {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil {
			bad("PLUGIN_SERVER_RETURN_ORIGINS %q: must be an origin such as https://app.example.com", o)
			continue
		}
		c.ReturnOrigins = append(c.ReturnOrigins, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	for _, o := range splitList(getenv("PLUGIN_SERVER_CORS_ORIGINS")) {
		origin, ok := Origin(strings.TrimSuffix(o, "/"))
		switch {
		case o == "*" || o == "null":
			bad("PLUGIN_SERVER_CORS_ORIGINS %q: list each origin, such as https://builder.example.com; %s is not allowed", o, o)
		case !ok:
			bad("PLUGIN_SERVER_CORS_ORIGINS %q: must be an origin such as https://builder.example.com", o)
		case !slices.Contains(c.CORSOrigins, origin):
			c.CORSOrigins = append(c.CORSOrigins, origin)
		}
	}
	c.App = oauthbroker.App{ClientID: getenv("LINKEDIN_CLIENT_ID"), ClientSecret: getenv("LINKEDIN_CLIENT_SECRET")}
	if (c.App.ClientID == "") != (c.App.ClientSecret == "") {
		bad("LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET must be set together")
	}
	// A real app's credentials would go to the emulator, and its members
	// would "authorize" against a page that approves anything: one of the
	// two settings is a mistake.
	if _, ok := d.SandboxClients[c.App.ClientID]; c.Sandbox && c.App.ClientID != "" && !ok {
		bad("PLUGIN_SERVER_SANDBOX (--sandbox) with LINKEDIN_CLIENT_ID %q, a real LinkedIn app: drop --sandbox to use LinkedIn, or drop LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET to use the emulator", c.App.ClientID)
	}
	c.Endpoints = oauthbroker.Endpoints{AuthURL: getenv("LINKEDIN_AUTH_URL"), TokenURL: getenv("LINKEDIN_TOKEN_URL"),
		RevokeURL: getenv("LINKEDIN_REVOKE_URL"), APIURL: getenv("LINKEDIN_API_URL")}
	for name, v := range map[string]string{"LINKEDIN_AUTH_URL": c.Endpoints.AuthURL, "LINKEDIN_TOKEN_URL": c.Endpoints.TokenURL,
		"LINKEDIN_REVOKE_URL": c.Endpoints.RevokeURL, "LINKEDIN_API_URL": c.Endpoints.APIURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			bad("%s %q: must be an absolute http(s) URL", name, v)
		}
	}
	// Without the emulator, the service's own URLs must come from
	// somewhere: the environment, or the plugin's declaration.
	for name, v := range map[string]string{"LINKEDIN_AUTH_URL": c.Endpoints.AuthURL + d.Endpoints.AuthURL,
		"LINKEDIN_TOKEN_URL": c.Endpoints.TokenURL + d.Endpoints.TokenURL, "LINKEDIN_API_URL": c.Endpoints.APIURL + d.Endpoints.APIURL} {
		if v == "" && !c.Sandbox {
			bad("%s: must be set, there is no default", name)
		}
	}
	if _, ok := d.SandboxClients[d.SandboxClient]; c.Sandbox && !ok {
		bad("PLUGIN_SERVER_SANDBOX (--sandbox): this server has no emulated app to use (%q is not one of its sandbox apps)", d.SandboxClient)
	}
	for _, h := range splitList(getenv("LINKEDIN_UPLOAD_HOSTS")) {
		c.UploadHosts = append(c.UploadHosts, strings.ToLower(h))
	}
	for name, v := range map[string]int64{"PLUGIN_SERVER_MAX_BODY": *maxBody, "PLUGIN_SERVER_MAX_UPLOAD": *maxUpload} {
		if v < 1024 || v > 4<<30 {
			bad("%s %d: must be between 1024 bytes and 4 GiB", name, v)
		}
	}
	c.MaxBody, c.MaxUpload, c.MaxStream = *maxBody, *maxUpload, *maxStream
	if c.MaxStream < 1 {
		bad("PLUGIN_SERVER_MAX_STREAM %d: must be at least 1", c.MaxStream)
	}
	// Written so that NaN fails too.
	if !(*rate >= 0 && *rate <= 1000000) {
		bad("PLUGIN_SERVER_RATE_LIMIT %v: must be calls per second between 0 (no smoothing) and 1000000", *rate)
	}
	if *burst < 1 || *burst > 1000000 {
		bad("PLUGIN_SERVER_RATE_BURST %d: must be between 1 and 1000000", *burst)
	}
	c.RateLimit, c.RateBurst = *rate, *burst
	c.CircuitThreshold = *threshold
	if c.MaxExecutes = *maxExecutes; c.MaxExecutes < 1 || c.MaxExecutes > 100000 {
		bad("PLUGIN_SERVER_MAX_EXECUTES %d: must be between 1 and 100000", c.MaxExecutes)
	}
	if c.MaxUploads = *maxUploads; c.MaxUploads < 1 || c.MaxUploads > 100000 {
		bad("PLUGIN_SERVER_MAX_UPLOADS %d: must be between 1 and 100000", c.MaxUploads)
	}
	if c.WorkspaceShare = *workspaceShare; c.WorkspaceShare <= 0 || c.WorkspaceShare > 1 {
		bad("PLUGIN_SERVER_WORKSPACE_SHARE %v: must be more than 0 and at most 1, e.g. 0.5", c.WorkspaceShare)
	}
	// One workspace's share must hold the largest body it may send.
	c.BodyMemory = *bodyMemory
	if c.BodyMemory == 0 {
		c.BodyMemory = max(64<<20, 2*c.MaxUpload)
	}
	if float64(c.BodyMemory)*c.WorkspaceShare < float64(max(c.MaxBody, c.MaxUpload)) {
		bad("PLUGIN_SERVER_BODY_MEMORY %d: its workspace share (%v) must hold the largest body (PLUGIN_SERVER_MAX_UPLOAD %d)", c.BodyMemory, c.WorkspaceShare, c.MaxUpload)
	}
	if c.MemoryLimit = *memoryLimit; c.MemoryLimit == -1 {
		c.MemoryLimit = MemoryLimitFor(d.MemoryAvailable, c.BodyMemory)
	}
	if c.MemoryLimit != 0 && (c.MemoryLimit < 16<<20 || c.MemoryLimit > 1<<40) {
		bad("PLUGIN_SERVER_MEMORY_LIMIT %d: must be 0 or between 16 MiB (16777216) and 1 TiB", c.MemoryLimit)
	}
	if *threshold < 1 {
		bad("PLUGIN_SERVER_CIRCUIT_THRESHOLD must be 1 or more")
	}
	for _, d := range durations {
		if *d.dst <= 0 {
			bad("--%s must be positive", d.flag)
		}
	}
	if d, err := time.ParseDuration(*margin); err != nil || d <= 0 || d > 24*time.Hour {
		bad("PLUGIN_SERVER_REFRESH_MARGIN %q: must be a duration between 1s and 24h, e.g. 10m", *margin)
	} else {
		c.RefreshMargin = d
	}
	c.WebhookURL, c.WebhookSecret = getenv("PLUGIN_SERVER_WEBHOOK_URL"), getenv("PLUGIN_SERVER_WEBHOOK_SECRET")
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("PLUGIN_SERVER_WEBHOOK_URL: must be an absolute http(s) URL")
		}
		if len(c.WebhookSecret) < 16 {
			bad("PLUGIN_SERVER_WEBHOOK_SECRET: must be set, at least 16 characters, when PLUGIN_SERVER_WEBHOOK_URL is")
		}
	}
	for _, b := range []struct {
		dst  *bool
		name string
	}{{&c.MetricsWorkspaces, "PLUGIN_SERVER_METRICS_WORKSPACES"}, {&c.MetricsPublic, "PLUGIN_SERVER_METRICS_PUBLIC"}} {
		switch v := getenv(b.name); v {
		case "", "0", "false":
		case "1", "true":
			*b.dst = true
		default:
			bad("%s %q: must be true or false", b.name, v)
		}
	}
	level, err := zerolog.ParseLevel(*logLevel)
	if err != nil || *logLevel == "" {
		bad("LOG_LEVEL %q: must be debug, info, warn or error", *logLevel)
	}
	c.LogLevel = level
	if c.LogFormat != "" && c.LogFormat != "console" && c.LogFormat != "json" {
		bad("LOG_FORMAT %q: must be console or json", c.LogFormat)
	}
	if len(c.APIKeys) == 0 && !IsLoopback(c.Addr) {
		bad("PLUGIN_SERVER_API_KEYS is empty: without API keys the server only listens on loopback (127.0.0.1 or ::1)")
	}
	// Without keys only loopback Host headers are served, so LinkedIn's
	// redirect to any other public URL would be refused.
	if u, err := url.Parse(c.PublicURL); len(c.APIKeys) == 0 && c.PublicURL != "" && err == nil && u.Host != "" && !LoopbackHost(u.Host) {
		bad("PLUGIN_SERVER_PUBLIC_URL %q: without PLUGIN_SERVER_API_KEYS only loopback names are served; set API keys or use a loopback URL", c.PublicURL)
	}
	// The emulator's consent page approves for whoever clicks and its
	// tokens work for anyone, so it stays on this machine unless asked.
	if c.Sandbox && !c.SandboxPublic {
		if host := c.publicHost(); !LoopbackHost(host) {
			bad("PLUGIN_SERVER_SANDBOX (--sandbox) on %q, which others can reach: use a loopback PLUGIN_SERVER_PUBLIC_URL and PLUGIN_SERVER_ADDR, or add --sandbox-public (PLUGIN_SERVER_SANDBOX_PUBLIC=1) to serve the emulator to others", host)
		}
	}
	if len(problems) > 0 {
		return nil, errors.New("configuration:\n  - " + strings.Join(problems, "\n  - "))
	}
	return c, nil
}

// Resolve fills what depends on the address the server really listens on:
// the public URL and, in sandbox mode, LinkedIn's URLs pointing at the
// emulator.
func (c *Config) Resolve(listenAddr string) {
	if c.PublicURL == "" {
		c.PublicURL = "http://" + listenAddr
	}
	// The console is served here, so Authorize may come back to it.
	if u, err := url.Parse(c.PublicURL); err == nil {
		if own := strings.ToLower(u.Scheme + "://" + u.Host); !slices.Contains(c.ReturnOrigins, own) {
			c.ReturnOrigins = append(c.ReturnOrigins, own)
		}
	}
	if c.Sandbox {
		base := c.SandboxURL()
		fill(&c.Endpoints.AuthURL, base+"/oauth/v2/authorization")
		fill(&c.Endpoints.TokenURL, base+"/oauth/v2/accessToken")
		fill(&c.Endpoints.RevokeURL, base+"/oauth/v2/revoke")
		fill(&c.Endpoints.APIURL, base)
		if c.App.ClientID == "" {
			id := c.defaults.SandboxClient
			c.App = oauthbroker.App{ClientID: id, ClientSecret: c.defaults.SandboxClients[id]}
		}
	}
	d := c.defaults.Endpoints
	fill(&c.Endpoints.AuthURL, d.AuthURL)
	fill(&c.Endpoints.TokenURL, d.TokenURL)
	fill(&c.Endpoints.RevokeURL, d.RevokeURL)
	fill(&c.Endpoints.APIURL, d.APIURL)
	if len(c.UploadHosts) == 0 {
		// The API's own host is wherever the API really is (the
		// emulator, LINKEDIN_API_URL), so it stands in for the default's.
		api, defaultAPI := hostOf(c.Endpoints.APIURL), hostOf(d.APIURL)
		c.UploadHosts = []string{api}
		for _, h := range c.defaults.UploadHosts {
			if h = strings.ToLower(h); h != defaultAPI && !slices.Contains(c.UploadHosts, h) {
				c.UploadHosts = append(c.UploadHosts, h)
			}
		}
	}
}

// hostOf is a URL's host (and port), in lower case.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// publicHost is the host (and port) others reach the server at: the
// public URL's, or the listen address when there is none.
func (c *Config) publicHost() string {
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err == nil {
			return u.Host
		}
	}
	return c.Addr
}

// SandboxURL is where the emulator is served.
func (c *Config) SandboxURL() string { return c.PublicURL + "/sandbox" }

// RedirectURL is the OAuth redirect URI to register with LinkedIn.
func (c *Config) RedirectURL() string { return c.PublicURL + "/oauth/callback" }

// IsLoopback says whether addr listens on loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoopbackHost says whether a Host header or URL host, with or without a
// port, names this machine's loopback: localhost and *.localhost (which
// browsers resolve themselves, so no DNS answer can move them), 127.0.0.0/8
// and ::1.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Origin puts an origin in the form browsers send in the Origin header
// (lower case, no default port), so configured and sent origins compare
// as strings. ok is false for anything but a bare http(s) origin.
func Origin(s string) (origin string, ok bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return "", false
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if port := u.Port(); (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	return scheme + "://" + host, true
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
