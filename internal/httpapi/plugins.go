package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"pluginserver/plugin"
)

type commandSummary struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Scopes      []string `json:"scopes"`
}

type commandView struct {
	commandSummary
	Schema   json.RawMessage  `json:"schema"`
	UISchema json.RawMessage  `json:"uiSchema"`
	Examples []plugin.Example `json:"examples"`
}

type formView struct {
	Schema   json.RawMessage  `json:"schema"`
	UISchema json.RawMessage  `json:"uiSchema"`
	Examples []plugin.Example `json:"examples"`
}

type pluginView struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Datasource  *formView `json:"datasource,omitempty"`
	Commands    any       `json:"commands"`
	// Version is the service's API version calls carry when a datasource
	// pins none: the current one, or an older one learnt to work.
	Version string `json:"version,omitempty"`
}

func summary(c *plugin.Command) commandSummary {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return commandSummary{ID: c.ID, Title: c.Title, Description: c.Description, Scopes: scopes}
}

func viewCommand(c *plugin.Command) commandView {
	return commandView{commandSummary: summary(c), Schema: c.Form.Schema, UISchema: c.Form.UISchema, Examples: c.Form.Examples}
}

func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request) {
	list := []pluginView{}
	for _, p := range s.Catalog.Plugins() {
		cmds := []commandSummary{}
		for _, c := range p.Commands {
			cmds = append(cmds, summary(c))
		}
		list = append(list, pluginView{ID: p.ID, Title: p.Title, Description: p.Description, Commands: cmds})
	}
	writeJSON(w, http.StatusOK, map[string]any{"plugins": list})
}

func (s *Server) getPlugin(w http.ResponseWriter, r *http.Request) {
	format, err := pluginFormat(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.Catalog.Plugin(chi.URLParam(r, "plugin"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == formatAppsmith {
		out, err := appsmithExport(p, s.CallTimeout)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	cmds := []commandView{}
	for _, c := range p.Commands {
		cmds = append(cmds, viewCommand(c))
	}
	writeJSON(w, http.StatusOK, pluginView{ID: p.ID, Title: p.Title, Description: p.Description,
		Datasource: &formView{Schema: p.Datasource.Schema, UISchema: p.Datasource.UISchema, Examples: p.Datasource.Examples},
		Commands:   cmds, Version: s.Executor.VersionInUse(r.Context(), p)})
}

// listOptions lists a field's choices for a datasource, such as the
// authors a member may post as, for a form's dropdown.
func (s *Server) listOptions(w http.ResponseWriter, r *http.Request) {
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	options, err := s.Executor.Options(r.Context(), d, chi.URLParam(r, "command"), chi.URLParam(r, "field"))
	// A datasource whose member did not grant what lists the choices
	// (a page scope, for a page picker) gets none and the reason, which a
	// form shows under a field the user may still type in.
	if err != nil && len(options) == 0 && plugin.AsError(err).Code != plugin.AuthorizationRequired {
		s.writeError(w, r, err)
		return
	}
	out := map[string]any{"options": options}
	if options == nil {
		out["options"] = []plugin.Option{}
	}
	if err != nil {
		// Some choices are better than none for a dropdown; the warning
		// says which are missing and why.
		out["warning"] = plugin.AsError(err).Message
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCommand(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.Catalog.Command(chi.URLParam(r, "plugin"), chi.URLParam(r, "command"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewCommand(c))
}
