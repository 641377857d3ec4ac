package httpapi

import (
	"net"
	"net/http"
	"net/netip"

	"pluginserver/plugin"
)

// serveMetrics serves /metrics without an API key: to loopback callers
// only, unless MetricsPublic. A request that bears any header a proxy or
// CDN adds for the caller it forwards (forwardingHeaders) is not taken for
// a loopback caller, since a proxy on this machine connects from loopback
// for anyone. The metrics hold counts by route, command and code, never a
// token, a secret or, unless asked, a workspace's name.
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

// forwardingHeaders are those a proxy, load balancer or CDN adds to name
// the caller it forwards, or itself: the standard ones (Forwarded, Via),
// the de facto X-Forwarded-*, and the vendors' (nginx, Cloudflare, Akamai,
// Azure and others).
var forwardingHeaders = []string{
	"Forwarded", "Via", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
	"X-Real-Ip", "X-Client-Ip", "X-Cluster-Client-Ip", "X-Original-Forwarded-For",
	"Cf-Connecting-Ip", "True-Client-Ip", "Fastly-Client-Ip", "X-Azure-Clientip", "X-Appengine-User-Ip",
}

// loopbackCaller says whether the request came straight from this machine:
// from a loopback address, and with no sign that a proxy forwarded it.
func loopbackCaller(r *http.Request) bool {
	for _, h := range forwardingHeaders {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
