package httpapi

import (
	"html/template"
	"net/http"
	"time"
)

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		ReturnURL string `json:"returnUrl"`
	}
	if err := s.decodeJSON(w, r, &body, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	authURL, expires, err := s.Broker.Authorize(r.Context(), d, body.ReturnURL)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"authorizationUrl": authURL, "expiresAt": expires.UTC().Format(time.RFC3339)})
}

var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>{{if .Error}}Authorization failed{{else}}Authorized{{end}}</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;color:#1d2226}.err{color:#b24020}</style></head>
<body>{{if .Error}}<h1 class="err">LinkedIn was not connected</h1>
<p id="message">{{.Message}}</p><p><small>Reason: <code id="reason">{{.Error}}</code></small></p>
{{else}}<h1>LinkedIn connected</h1>
<p id="message">The datasource <code>{{.DatasourceID}}</code> is authorized{{with .Member}} as <b>{{.Name}}</b>{{with .Email}} ({{.}}){{end}}{{end}}.</p>
<p>You can close this window.</p>{{end}}</body></html>`))

// callback is where LinkedIn sends the member's browser back. The state
// authenticates the request; the answer is a redirect to the returnUrl or
// a page that says what happened.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	o := s.Broker.Callback(r.Context(), r.URL.Query())
	if target := o.RedirectURL(); target != "" {
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	status := http.StatusOK
	if o.Error != "" {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	callbackPage.Execute(w, o)
}
