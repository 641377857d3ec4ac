// Package metrics owns the server's Prometheus collectors, on a registry of
// its own (never the global one), and serves them at /metrics.
//
// Every label value comes from a bounded set: route patterns (never a raw
// path), methods, status codes, the plugin's command names, the envelope's
// error codes. A workspace name is a label value only when asked for
// (PLUGIN_SERVER_METRICS_WORKSPACES), and then only on the request and
// execute counters, never on a histogram; a datasource id never is. Nothing
// here sees a token or a secret.
//
// The per-request path looks its series up in a small map of its own, keyed
// by the label values as they come (no string is built), and creates a
// series once per combination.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	ps "pluginserver"
	"pluginserver/plugin"
)

// CallerGone is the outcome of a request whose caller hung up before it
// was answered, and the class and status of a call to LinkedIn abandoned
// because of it: the caller's doing, never counted as LinkedIn's failure
// nor as the server's. Such a request is counted with HTTP status 499
// (StatusCallerGone), which nobody is ever sent.
const CallerGone = "caller_gone"

// StatusCallerGone is the status a request whose caller hung up is counted
// and logged with (nginx's 499); nobody is sent it.
const StatusCallerGone = 499

// Options say what the metrics show.
type Options struct {
	// Workspaces adds a workspace label to the request and execute
	// counters (PLUGIN_SERVER_METRICS_WORKSPACES).
	Workspaces bool
	// Commands are the command names that may be label values; any
	// other is counted as "unknown".
	Commands []string
}

// Metrics are the server's collectors. A nil *Metrics records nothing.
type Metrics struct {
	registry   *prometheus.Registry
	workspaces bool
	commands   map[string]bool

	requests       *prometheus.CounterVec
	requestSeconds *prometheus.HistogramVec
	executes       *prometheus.CounterVec
	executeSeconds *prometheus.HistogramVec
	calls          *prometheus.CounterVec
	callSeconds    *prometheus.HistogramVec
	refreshes      *prometheus.CounterVec
	limitHits      *prometheus.CounterVec
	datasources    *prometheus.GaugeVec

	mu            sync.RWMutex
	requestSeries map[requestKey]timedCounter
	executeSeries map[executeKey]timedCounter
	callSeries    map[callKey]timedCounter
}

// timedCounter is a counter and the histogram that goes with it.
type timedCounter struct {
	count prometheus.Counter
	took  prometheus.Observer
}

func (t timedCounter) add(d time.Duration) {
	t.count.Inc()
	t.took.Observe(d.Seconds())
}

type requestKey struct {
	route, method, workspace string
	code                     int
}

type executeKey struct {
	command, outcome, workspace string
}

// callKey is a call's command and HTTP status, or why no answer came
// (failure, with status 0).
type callKey struct {
	command, failure string
	status           int
}

// Buckets of durations, in seconds: a request answered from memory takes
// a millisecond, a call to LinkedIn a few hundred, an upload minutes.
var buckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120}

// Auth statuses the datasources gauge shows, every one of them always.
var authStatuses = []string{ps.StatusUnauthorized, ps.StatusAuthorized, ps.StatusExpiring, ps.StatusExpired, ps.StatusError}

// Scopes of the limits a call can be refused for before it is sent.
var limitScopes = []string{"member", "app", "datasource", "rate"}

// Outcomes of a token refresh.
var refreshOutcomes = []string{"ok", "refused", "unavailable", "error"}

// New registers every collector, the process's and the Go runtime's too.
func New(opts Options) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry(), workspaces: opts.Workspaces, commands: map[string]bool{},
		requestSeries: map[requestKey]timedCounter{}, executeSeries: map[executeKey]timedCounter{}, callSeries: map[callKey]timedCounter{}}
	for _, c := range opts.Commands {
		m.commands[c] = true
	}
	counted := []string{"route", "method", "code"}
	executed := []string{"command", "outcome"}
	if opts.Workspaces {
		counted = append(counted, "workspace")
		executed = append(executed, "workspace")
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plugin_server_http_requests_total",
		Help: "HTTP requests answered, by route pattern, method and status code (499: the caller hung up first, and was sent nothing)."}, counted)
	m.requestSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "plugin_server_http_request_duration_seconds",
		Help: "How long HTTP requests took to answer, by route pattern, method and status code.", Buckets: buckets}, []string{"route", "method", "code"})
	m.executes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plugin_server_executes_total",
		Help: `Executes answered, by command and outcome (the envelope's error code, "ok", or "caller_gone" when the caller hung up first).`}, executed)
	m.executeSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "plugin_server_execute_duration_seconds",
		Help: "How long executes took, by command.", Buckets: buckets}, []string{"command"})
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plugin_server_linkedin_calls_total",
		Help: `Calls sent to LinkedIn (retries included), by command, status class (2xx..5xx; "error" when no answer came; "caller_gone" when the caller hung up before it came, which is not LinkedIn's failure) and status (the HTTP status; timeout, unavailable, error or caller_gone when no answer came).`},
		[]string{"command", "class", "status"})
	m.callSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "plugin_server_linkedin_call_duration_seconds",
		Help: "How long calls to LinkedIn took, retries included, by command and status class.", Buckets: buckets}, []string{"command", "class"})
	m.refreshes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plugin_server_token_refreshes_total",
		Help: "Token refreshes this replica made, by outcome: ok, refused (LinkedIn refused the refresh token), unavailable (LinkedIn could not be reached), error."},
		[]string{"outcome"})
	m.limitHits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "plugin_server_limit_hits_total",
		Help: "Calls refused before sending because a limit was reached, by scope: LinkedIn's member, app or datasource limit known reached, or rate (PLUGIN_SERVER_RATE_LIMIT)."},
		[]string{"scope"})
	m.datasources = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "plugin_server_datasources",
		Help: "Datasources of every workspace by auth status, as counted at most a minute ago."}, []string{"auth_status"})
	m.registry.MustRegister(m.requests, m.requestSeconds, m.executes, m.executeSeconds, m.calls, m.callSeconds,
		m.refreshes, m.limitHits, m.datasources,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	for _, s := range limitScopes {
		m.limitHits.WithLabelValues(s)
	}
	for _, o := range refreshOutcomes {
		m.refreshes.WithLabelValues(o)
	}
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Registry is where the collectors are registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Request counts an HTTP request answered: its route pattern ("" for none
// matched), method, status code and duration.
func (m *Metrics) Request(route, method string, code int, workspace string, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	if code == 0 {
		code = http.StatusOK
	}
	if !m.workspaces {
		workspace = ""
	}
	k := requestKey{route: route, method: knownMethod(method), workspace: workspace, code: code}
	m.mu.RLock()
	s, ok := m.requestSeries[k]
	m.mu.RUnlock()
	if !ok {
		code := strconv.Itoa(k.code)
		values := []string{k.route, k.method, code}
		if m.workspaces {
			values = append(values, k.workspace)
		}
		s = timedCounter{m.requests.WithLabelValues(values...), m.requestSeconds.WithLabelValues(k.route, k.method, code)}
		m.mu.Lock()
		m.requestSeries[k] = s
		m.mu.Unlock()
	}
	s.add(d)
}

// knownMethod keeps the method label bounded: a client may send any word.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut, http.MethodHead, http.MethodOptions:
		return method
	}
	return "other"
}

// Execute counts an execute answered: its command, outcome (an envelope
// error code, or "ok") and duration.
func (m *Metrics) Execute(command, outcome, workspace string, d time.Duration) {
	if m == nil {
		return
	}
	if !m.commands[command] {
		command = "unknown"
	}
	if !m.workspaces {
		workspace = ""
	}
	k := executeKey{command: command, outcome: outcome, workspace: workspace}
	m.mu.RLock()
	s, ok := m.executeSeries[k]
	m.mu.RUnlock()
	if !ok {
		values := []string{k.command, k.outcome}
		if m.workspaces {
			values = append(values, k.workspace)
		}
		s = timedCounter{m.executes.WithLabelValues(values...), m.executeSeconds.WithLabelValues(k.command)}
		m.mu.Lock()
		m.executeSeries[k] = s
		m.mu.Unlock()
	}
	s.add(d)
}

// Call counts a call sent to LinkedIn: the status it answered, or the
// error when no answer came. An error that is context.Canceled (the
// caller hung up, see proxy) is counted as caller_gone, apart from
// LinkedIn's failures.
func (m *Metrics) Call(command string, status int, d time.Duration, err error) {
	if m == nil {
		return
	}
	if !m.commands[command] {
		command = "other"
	}
	k := callKey{command: command, status: status}
	if err != nil || status < 100 || status > 599 {
		k.status, k.failure = 0, failure(err)
	}
	m.mu.RLock()
	s, ok := m.callSeries[k]
	m.mu.RUnlock()
	if !ok {
		class, label := "error", k.failure
		if label == CallerGone {
			class = CallerGone
		}
		if k.status != 0 {
			class, label = strconv.Itoa(k.status/100)+"xx", strconv.Itoa(k.status)
		}
		s = timedCounter{m.calls.WithLabelValues(k.command, class, label), m.callSeconds.WithLabelValues(k.command, class)}
		m.mu.Lock()
		m.callSeries[k] = s
		m.mu.Unlock()
	}
	s.add(d)
}

// failure is a call's status label when no answer came.
func failure(err error) string {
	if errors.Is(err, context.Canceled) {
		return CallerGone
	}
	switch plugin.AsError(err).Code {
	case plugin.UpstreamTimeout:
		return "timeout"
	case plugin.UpstreamUnavailable:
		return "unavailable"
	}
	return "error"
}

// Refresh counts a token refresh by outcome: ok, refused, unavailable or
// error.
func (m *Metrics) Refresh(outcome string) {
	if m == nil {
		return
	}
	m.refreshes.WithLabelValues(outcome).Inc()
}

// LimitHit counts a call refused before sending, by the limit's scope:
// member, app, datasource or rate.
func (m *Metrics) LimitHit(scope string) {
	if m == nil {
		return
	}
	m.limitHits.WithLabelValues(scope).Inc()
}

// SetDatasources sets how many datasources are in each auth status; a
// status not counted is zero.
func (m *Metrics) SetDatasources(counts map[string]int64) {
	if m == nil {
		return
	}
	for _, s := range authStatuses {
		m.datasources.WithLabelValues(s).Set(float64(counts[s]))
	}
}

// WatchCircuits shows, read at each scrape, how many datasources' calls
// are paused by an open circuit and whether they all are (LinkedIn
// appears down).
func (m *Metrics) WatchCircuits(open func() (datasources int, outage bool)) {
	if m == nil {
		return
	}
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "plugin_server_circuits_open",
			Help: "Datasources whose calls to LinkedIn are paused by an open circuit, on this replica."},
			func() float64 { n, _ := open(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "plugin_server_linkedin_outage",
			Help: "1 while every call to LinkedIn is paused because many datasources of several workspaces failed at once."},
			func() float64 {
				if _, outage := open(); outage {
					return 1
				}
				return 0
			}))
}
