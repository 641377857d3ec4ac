package httpapi

import (
	"net/http"
	"strings"

	"pluginserver/internal/config"
	"pluginserver/plugin"
)

// What a browser on an allowed origin may send and read. The list is fixed
// rather than echoed from the preflight, so a page learns nothing it could
// not read here.
const (
	corsAllowMethods  = "GET, POST, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Cache-Control, Content-Type, Idempotency-Key, X-Request-Id"
	corsExposeHeaders = "X-Request-Id, Retry-After, Idempotent-Replayed, Age"
	// corsMaxAge is short enough that a changed PLUGIN_SERVER_CORS_ORIGINS
	// reaches browsers within minutes.
	corsMaxAge = "600"
)

// guardBrowsers answers CORS and keeps web pages off an anonymous server.
// It runs before routing, because chi answers OPTIONS with 404 or 405.
//
// CORS, with or without keys: a preflight (OPTIONS with Origin and
// Access-Control-Request-Method) from a CORSOrigins origin is answered 204
// here; from any other origin it is refused 403 without CORS headers. Every
// other answer to an allowed origin names it in Access-Control-Allow-Origin.
// Credentials mode stays off: callers send a bearer key, never a cookie.
//
// Without keys (Anonymous), whoever reaches the port is admin, so:
//   - the Host header must name loopback (localhost, *.localhost,
//     127.0.0.0/8, [::1]), or a DNS-rebound name would let any web page
//     read and write through the victim's browser;
//   - a cross-site request is refused: one whose Origin is neither the
//     server's own (scheme and Host) nor a CORSOrigins origin, or, without
//     such an Origin, one that says Sec-Fetch-Site: cross-site. A page may
//     send a "simple" cross-site POST (text/plain, a form) without a
//     preflight, so refusing it here is what keeps it from creating
//     anything.
//
// Two cross-site navigations are how OAuth works and stay allowed, for GET
// only: GET /oauth/callback (LinkedIn sends the member's browser back; the
// single-use state authenticates it) and GET /sandbox/oauth/v2/authorization
// (the emulator's consent page, opened from a builder's page). The consent
// form posts back to its own origin, so that POST is same-origin and passes.
// A client that sends neither Origin nor Sec-Fetch-Site (curl, a server) is
// not a browser page and is served as before.
func (s *Server) guardBrowsers(next http.Handler) http.Handler {
	allowed := make(map[string]bool, len(s.CORSOrigins))
	for _, o := range s.CORSOrigins {
		if origin, ok := config.Origin(o); ok {
			allowed[origin] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		normalized, _ := config.Origin(origin)
		corsOK := origin != "" && allowed[normalized]
		if len(allowed) > 0 || s.Anonymous {
			// The answer depends on Origin: a cache must not hand one
			// origin's answer to another.
			w.Header().Add("Vary", "Origin")
		}
		if s.Anonymous && !config.LoopbackHost(r.Host) {
			s.writeError(w, r, refusedHeader("Host", "without API keys only loopback names are served (localhost, 127.0.0.1, [::1]); set PLUGIN_SERVER_API_KEYS to serve other names"))
			return
		}
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			if !corsOK {
				s.writeError(w, r, refusedHeader("Origin", "is not allowed to call this server from a browser; list it in PLUGIN_SERVER_CORS_ORIGINS"))
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if s.Anonymous && !corsOK && !crossSiteNavigation(r) {
			if origin != "" && normalized != ownOrigin(r) {
				s.writeError(w, r, refusedHeader("Origin", "cross-site requests are refused without API keys; list the origin in PLUGIN_SERVER_CORS_ORIGINS to allow it"))
				return
			}
			if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
				s.writeError(w, r, refusedHeader("Sec-Fetch-Site", "cross-site requests are refused without API keys"))
				return
			}
		}
		if corsOK {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// crossSiteNavigation says whether r is one of the two pages a browser is
// sent to from another site during authorization.
func crossSiteNavigation(r *http.Request) bool {
	return r.Method == http.MethodGet && (r.URL.Path == "/oauth/callback" || r.URL.Path == "/sandbox/oauth/v2/authorization")
}

// ownOrigin is the origin a page served by this request's URL would have.
// The server speaks plain HTTP unless it has TLS itself; anonymous mode is
// loopback only, so no proxy in front changes the scheme.
func ownOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	origin, _ := config.Origin(scheme + "://" + r.Host)
	return origin
}

// refusedHeader is a 403 naming the request header at fault, in the shape
// of a field problem so a client finds it where it finds any other.
func refusedHeader(header, message string) *plugin.Error {
	return &plugin.Error{Code: plugin.Forbidden, Message: header + ": " + message,
		Fields: []plugin.FieldProblem{{Field: header, Message: message}}}
}
