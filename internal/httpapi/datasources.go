package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	ps "pluginserver"
	"pluginserver/internal/executor"
	"pluginserver/plugin"
)

// datasourceView is a datasource as the API shows it: never a token or a
// secret.
type datasourceView struct {
	ID             string          `json:"id"`
	Plugin         string          `json:"plugin"`
	Name           string          `json:"name"`
	Workspace      string          `json:"workspace"`
	Config         json.RawMessage `json:"config"`
	AuthStatus     string          `json:"authStatus"`
	AuthorizedAs   *ps.Member      `json:"authorizedAs"`
	Scopes         []string        `json:"scopes"`
	TokenExpiresAt *time.Time      `json:"tokenExpiresAt"`
	Refreshable    bool            `json:"refreshable"`
	// AuthError says why authStatus is error or expired.
	AuthError string    `json:"authError,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Warning tells what went wrong on the side, such as a revocation
	// LinkedIn did not confirm, or what will: scopes no single app
	// grants together.
	Warning string `json:"warning,omitempty"`
	// Limits are LinkedIn's limits known to be reached for the
	// datasource; null when none is.
	Limits *executor.KnownLimits `json:"limits"`
}

// limitsReporter is an executor that knows LinkedIn's limits; the view
// shows them when the server's executor is one.
type limitsReporter interface {
	Limits(ctx context.Context, ds *ps.Datasource) *executor.KnownLimits
}

func (s *Server) view(ctx context.Context, d *ps.Datasource) datasourceView {
	now := s.Now()
	v := datasourceView{ID: d.ID, Plugin: d.Plugin, Name: d.Name, Workspace: d.Workspace, Config: d.Config,
		AuthStatus: d.AuthStatus(now), Scopes: []string{}, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if lr, ok := s.Executor.(limitsReporter); ok {
		v.Limits = lr.Limits(ctx, d)
	}
	if p, err := s.Catalog.Plugin(d.Plugin); err == nil && p.Auth != nil {
		// Asked for scopes no single app grants, the member is refused
		// at the consent page: say so before Authorize is clicked.
		_, v.Warning = p.FitApp(p.Auth(d.Config).Scopes)
	}
	if t := d.Token; t != nil {
		v.AuthorizedAs = t.Member
		if t.Scopes != nil {
			v.Scopes = t.Scopes
		}
		if !t.ExpiresAt.IsZero() {
			v.TokenExpiresAt = &t.ExpiresAt
		}
		v.Refreshable = t.Refreshable(now)
		v.AuthError = d.Problem.Reason
	}
	return v
}

// newID is an unguessable datasource id (100 random bits).
func newID() string {
	b := make([]byte, 13)
	rand.Read(b)
	return "ds_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
}

// secretField is the write-only part of a datasource's config: sealed
// apart from the rest and never shown.
const secretField = "clientSecret"

// checkForm validates a datasource form ({name, config}) and splits the
// secret from the config. secret is nil when the config has none.
func (s *Server) checkForm(pluginID string, name, config json.RawMessage) (cleanConfig json.RawMessage, secret *string, err error) {
	v, err := s.Catalog.Datasource(pluginID)
	if err != nil {
		return nil, nil, err
	}
	doc := map[string]json.RawMessage{"name": name}
	if len(config) > 0 {
		doc["config"] = config
	}
	raw, _ := json.Marshal(doc)
	if problems := v.Validate(raw); problems != nil {
		return nil, nil, plugin.InvalidFields(problems)
	}
	fields := map[string]json.RawMessage{}
	if len(config) > 0 {
		if err := json.Unmarshal(config, &fields); err != nil {
			return nil, nil, plugin.InvalidField("config", "must be an object")
		}
	}
	if raw, ok := fields[secretField]; ok {
		var value string
		json.Unmarshal(raw, &value)
		secret = &value
		delete(fields, secretField)
	}
	cleanConfig, _ = json.Marshal(fields)
	return cleanConfig, secret, nil
}

func (s *Server) createDatasource(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Plugin string          `json:"plugin"`
		Name   json.RawMessage `json:"name"`
		Config json.RawMessage `json:"config"`
	}
	if err := s.decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Plugin == "" {
		s.writeError(w, r, plugin.InvalidField("plugin", "is required"))
		return
	}
	if _, err := s.Catalog.Plugin(body.Plugin); err != nil {
		s.writeError(w, r, plugin.InvalidField("plugin", "unknown plugin %q", body.Plugin))
		return
	}
	config, secret, err := s.checkForm(body.Plugin, body.Name, body.Config)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.Now().UTC().Truncate(time.Millisecond)
	d := &ps.Datasource{ID: newID(), Workspace: callerOf(r.Context()).Workspace, Plugin: body.Plugin, Config: config, CreatedAt: now, UpdatedAt: now}
	json.Unmarshal(body.Name, &d.Name)
	if secret != nil && *secret != "" {
		d.ClientSecret = s.Broker.SealClientSecret(d.ID, *secret)
	}
	if err := s.Store.CreateDatasource(r.Context(), d); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Log.Info().Str("datasource", d.ID).Str("workspace", d.Workspace).Msg("datasource created")
	w.Header().Set("Location", "/v1/datasources/"+d.ID)
	writeJSON(w, http.StatusCreated, s.view(r.Context(), d))
}

func (s *Server) listDatasources(w http.ResponseWriter, r *http.Request) {
	list, err := s.Store.Datasources(r.Context(), callerOf(r.Context()).Workspace)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	views := make([]datasourceView, 0, len(list))
	for _, d := range list {
		views = append(views, s.view(r.Context(), d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"datasources": views})
}

// datasource loads the {id} of the route within the caller's workspace.
func (s *Server) datasource(r *http.Request) (*ps.Datasource, error) {
	return s.Store.Datasource(r.Context(), callerOf(r.Context()).Workspace, chi.URLParam(r, "id"))
}

func (s *Server) getDatasource(w http.ResponseWriter, r *http.Request) {
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(r.Context(), d))
}

func (s *Server) updateDatasource(w http.ResponseWriter, r *http.Request) {
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Name   json.RawMessage `json:"name"`
		Config json.RawMessage `json:"config"`
	}
	if err := s.decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	name := body.Name
	if name == nil {
		name, _ = json.Marshal(d.Name)
	}
	config := body.Config
	if config == nil {
		config = d.Config
	}
	clean, secret, err := s.checkForm(d.Plugin, name, config)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case secret != nil && *secret == "":
		d.ClientSecret = nil
	case secret != nil:
		d.ClientSecret = s.Broker.SealClientSecret(d.ID, *secret)
	case clientID(clean) != clientID(d.Config):
		// A secret belongs to its client id; another app needs its own.
		d.ClientSecret = nil
	}
	json.Unmarshal(name, &d.Name)
	d.Config = clean
	d.UpdatedAt = s.Now().UTC().Truncate(time.Millisecond)
	if err := s.Store.UpdateDatasource(r.Context(), d); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(r.Context(), d))
}

func clientID(config json.RawMessage) string {
	var c struct {
		ClientID string `json:"clientId"`
	}
	json.Unmarshal(config, &c)
	return c.ClientID
}

func (s *Server) deleteDatasource(w http.ResponseWriter, r *http.Request) {
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	warning, err := s.Broker.Disconnect(r.Context(), d)
	if err == nil {
		err = s.Store.DeleteDatasource(r.Context(), d.Workspace, d.ID)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.Log.Info().Str("datasource", d.ID).Msg("datasource deleted")
	writeJSON(w, http.StatusOK, map[string]any{"id": d.ID, "deleted": true, "warning": warning})
}

func (s *Server) disconnectDatasource(w http.ResponseWriter, r *http.Request) {
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	warning, err := s.Broker.Disconnect(r.Context(), d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d.Token = nil
	v := s.view(r.Context(), d)
	v.Warning = warning
	writeJSON(w, http.StatusOK, v)
}
