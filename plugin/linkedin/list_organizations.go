package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"pluginserver/plugin"
)

var listOrganizations = &plugin.Command{
	ID:          "listOrganizations",
	Title:       "List Organizations",
	Endpoints:   []string{"GET /rest/organizationAcls?q=roleAssignee", "GET /rest/organizations?ids"},
	Description: "List the pages the member may post for (an APPROVED administrator or content administrator), with their names and the member's role: output.elements[].organization, .name and .role, for an author dropdown.",
	Form: form(nil, answered("The member's pages", `{}`, 200, nil,
		`{"elements":[{"organization":"urn:li:organization:2414183","name":"Sandbox Devices","role":"ADMINISTRATOR"},{"organization":"urn:li:organization:5000001","name":"Sandbox Labs","role":"CONTENT_ADMINISTRATOR"}]}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		return apiCall(s, http.MethodGet, "/rest/organizationAcls", url.Values{"q": {"roleAssignee"}, "state": {"APPROVED"}}, nil)
	},
	Run: func(ctx context.Context, raw json.RawMessage, s plugin.Settings, _ *plugin.File, send plugin.Send, _ plugin.Progress) (*plugin.Response, error) {
		// The list of roles answers for the whole; a page whose name
		// cannot be read is listed by its URN.
		var roles *plugin.Response
		first := func(ctx context.Context, c *plugin.Call) (*plugin.Response, error) {
			resp, err := send(ctx, c)
			if roles == nil {
				roles = resp
			}
			return resp, err
		}
		pages, err := postablePages(ctx, s, first)
		if roles != nil && roles.Status >= 300 {
			return roles, nil
		}
		if err != nil {
			return nil, err
		}
		out := struct {
			Elements []page `json:"elements"`
		}{Elements: []page{}}
		out.Elements = append(out.Elements, pages...)
		body, _ := json.Marshal(out)
		return &plugin.Response{Status: http.StatusOK, Header: roles.Header, Body: body, Call: roles.Call}, nil
	},
	Steps: []string{"GET the member's approved page roles", "GET the pages' names in one batch"},
}
