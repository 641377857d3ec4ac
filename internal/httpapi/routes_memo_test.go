package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestRoutePatternsKept: a route's pattern, kept, is chi's own, for routes
// at the root and under a mount, asked twice (the second from the map).
func TestRoutePatternsKept(t *testing.T) {
	var routes routePatterns
	var got string
	keep := func(w http.ResponseWriter, r *http.Request) { got = routes.of(chi.RouteContext(r.Context())) }
	sub := chi.NewRouter()
	sub.Post("/datasources/{id}/execute", keep)
	sub.Get("/datasources/{id}", keep)
	root := chi.NewRouter()
	root.Get("/healthz", keep)
	root.Mount("/v1", sub)
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/healthz", "/healthz"},
		{"POST", "/v1/datasources/ds_1/execute", "/v1/datasources/{id}/execute"},
		{"GET", "/v1/datasources/ds_2", "/v1/datasources/{id}"},
		{"POST", "/v1/datasources/ds_3/execute", "/v1/datasources/{id}/execute"},
		{"GET", "/healthz", "/healthz"},
	} {
		got = ""
		root.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, tt.path, nil))
		if got != tt.want {
			t.Errorf("%s %s: route %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}
