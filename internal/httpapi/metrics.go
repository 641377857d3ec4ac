package httpapi

import (
	"net"
	"net/http"
	"net/netip"

	"pluginserver/plugin"
)

// serveMetrics serves /metrics without an API key: to loopback callers
// only, unless MetricsPublic. A request a proxy forwarded (it says so in
// Forwarded, X-Forwarded-For or X-Real-Ip) is not taken for a loopback
// caller, since a proxy on this machine connects from loopback for anyone.
// The metrics hold counts by route, command and code, never a token, a
// secret or, unless asked, a workspace's name.
func (s *Server) serveMetrics() http.HandlerFunc {
	if s.Metrics == nil {
		return func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errNoRoute) }
	}
	h := s.Metrics.Handler()
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.MetricsPublic && !loopbackCaller(r) {
			s.writeError(w, r, plugin.Errorf(plugin.Forbidden, "/metrics is served to loopback callers only; set PLUGIN_SERVER_METRICS_PUBLIC=true to serve it to others"))
			return
		}
		h.ServeHTTP(w, r)
	}
}

// loopbackCaller says whether the request came straight from this machine.
func loopbackCaller(r *http.Request) bool {
	if r.Header.Get("Forwarded") != "" || r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
