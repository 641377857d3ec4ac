package app_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"pluginserver/internal/app"
)

// BenchmarkExecute is one execute through the whole server, from the
// caller's request to the envelope, with the emulator answering as
// LinkedIn over loopback; its allocations are counted too.
func BenchmarkExecute(b *testing.B) {
	h := startHarness(b, map[string]string{"PLUGIN_SERVER_RATE_LIMIT": "0"}, app.Options{}, "--sandbox")
	id := h.authorizedDatasource()
	// Counted across runs, so -count > 1 never posts the same text twice.
	posts := 0
	for _, bc := range []struct {
		name string
		body func(n int) string
	}{
		{"getUserInfo", func(int) string { return `{"command":"getUserInfo","params":{}}` }},
		// LinkedIn refuses a post the same as the last.
		{"createPost", func(n int) string {
			return `{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"Hello ` +
				strconv.Itoa(n) + `","visibility":"PUBLIC"}}`
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				posts++
				req := httptest.NewRequest("POST", "/v1/datasources/"+id+"/execute", strings.NewReader(bc.body(posts)))
				req.Header.Set("Authorization", "Bearer "+builder)
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.app.Handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
