package httpapi

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"pluginserver/internal/console"
	"pluginserver/plugin"
)

// Handler lists every route of the server.
func (s *Server) Handler() http.Handler {
	s.openAPIDoc = openAPI(s.Catalog)
	r := chi.NewRouter()
	r.Use(withRequestID, s.logRequests, s.guardBrowsers)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errNoRoute)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		allowed := allowedMethods(r, req.URL.Path)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.writeError(w, req, plugin.Errorf(plugin.MethodNotAllowed, "%s is not answered here; this route answers %s (see /openapi.json)",
			req.Method, strings.Join(allowed, ", ")))
	})

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/openapi.json", s.openapi)
	r.Get("/metrics", s.serveMetrics())
	r.Get("/oauth/callback", s.callback)
	// The console: every other GET outside /v1 is its page.
	r.Get("/*", console.Handler().ServeHTTP)
	if s.Sandbox != nil {
		r.Mount("/sandbox", http.StripPrefix("/sandbox", s.Sandbox))
	}

	r.Route("/v1", func(r chi.Router) {
		r.Use(s.authenticate)
		r.Get("/me", s.me)
		r.Get("/plugins", s.listPlugins)
		r.Get("/plugins/{plugin}", s.getPlugin)
		r.Get("/plugins/{plugin}/commands/{command}", s.getCommand)

		r.Post("/datasources", s.adminOnly(s.createDatasource))
		r.Get("/datasources", s.listDatasources)
		r.Get("/datasources/{id}", s.getDatasource)
		r.Patch("/datasources/{id}", s.adminOnly(s.updateDatasource))
		r.Delete("/datasources/{id}", s.adminOnly(s.deleteDatasource))
		r.Post("/datasources/{id}/authorize", s.adminOnly(s.authorize))
		r.Post("/datasources/{id}/test", s.testDatasource)
		r.Post("/datasources/{id}/disconnect", s.adminOnly(s.disconnectDatasource))
		r.Post("/datasources/{id}/execute", s.execute)
		r.Get("/datasources/{id}/options/{command}/{field}", s.listOptions)
	})
	return r
}

// allowedMethods are the methods the router answers on path.
func allowedMethods(router *chi.Mux, path string) []string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if router.Match(chi.NewRouteContext(), m, path) {
			allowed = append(allowed, m)
		}
	}
	return allowed
}
