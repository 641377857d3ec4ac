package linkedin

import (
	"slices"
	"strings"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin/facts"
)

// endpoint finds the endpoint a call reaches, nil for one not in the
// table. An upload is matched as such, whatever its URL. The path is read
// from its /rest/ or /v2/ on, whatever root the API is under (the
// sandbox's is /sandbox).
func endpoint(c *plugin.Call) *facts.Endpoint {
	if c.Upload {
		return facts.Upload
	}
	path := c.URL.EscapedPath()
	if i := strings.Index(path, "/rest/"); i > 0 {
		path = path[i:]
	} else if i := strings.Index(path, "/v2/"); i > 0 {
		path = path[i:]
	}
	return facts.Find(c.Method, path, c.URL.RawQuery)
}

// endpointKey names the endpoint a call reaches, "" for one not in the
// table (a custom action's route).
func endpointKey(c *plugin.Call) string {
	if e := endpoint(c); e != nil {
		return e.Key()
	}
	return ""
}

// admits is what admits a call: the member's permissions, or a page's when
// the call acts as a page.
func admits(e *facts.Endpoint, c *plugin.Call) (scopes []string, asPage string) {
	if e.Page != nil {
		if page := pageActedAs(c); page != "" {
			return e.Page, page
		}
	}
	return e.Member, ""
}

// admit refuses, before it is sent, a call that no permission the member
// granted admits, naming what would and what grants it. Granted scopes
// unknown (a dry run before Authorize) admit everything.
func admit(s plugin.Settings, c *plugin.Call) error {
	if s.Scopes == nil {
		return nil
	}
	e := endpoint(c)
	if e == nil {
		return nil
	}
	needs, page := admits(e, c)
	if len(needs) == 0 || slices.ContainsFunc(needs, func(scope string) bool { return slices.Contains(s.Scopes, scope) }) {
		return nil
	}
	return &plugin.Error{Code: plugin.AuthorizationRequired, Message: refusal(e, needs, page, s.Scopes)}
}

// refusal says which permission a call needs, what grants it, and that
// nothing was sent.
func refusal(e *facts.Endpoint, needs []string, page string, granted []string) string {
	var b strings.Builder
	b.WriteString(e.Method + " " + e.Path)
	if page != "" {
		b.WriteString(" as the page " + page)
	}
	b.WriteString(" needs the permission ")
	for i, scope := range needs {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString(scope)
		if p, ok := facts.Lookup(scope); ok {
			b.WriteString(" (" + p.Product + ", " + string(p.Access) + ")")
		}
	}
	b.WriteString(", which the member did not grant (granted: " + strings.Join(granted, " ") + "). Nothing was sent to LinkedIn. ")
	b.WriteString("Add it to the datasource's scopes, on an app that has its product, and click Authorize again.")
	return b.String()
}

// commandScopes are the permissions that admit a command's calls, as the
// member or as a page, derived from the endpoints it lists: each call is
// admitted by any one of its endpoint's, for who acts.
func commandScopes(c *plugin.Command) []string {
	var scopes []string
	for _, key := range c.Endpoints {
		if e := facts.ByKey(key); e != nil {
			for _, s := range e.Any() {
				if !slices.Contains(scopes, s) {
					scopes = append(scopes, s)
				}
			}
		}
	}
	return scopes
}
