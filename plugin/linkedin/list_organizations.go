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
	Description: "List the pages the member administers, with their names: output.elements[].organization and .name, for an author dropdown.",
	Form: form(nil, answered("The member's pages", `{}`, 200, nil,
		`{"elements":[{"organization":"urn:li:organization:2414183","name":"Sandbox Devices"}]}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		return apiCall(s, http.MethodGet, "/rest/organizationAcls", url.Values{"q": {"roleAssignee"}, "role": {"ADMINISTRATOR"}, "state": {"APPROVED"}}, nil)
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
		pages, err := administeredPages(ctx, s, first)
		if roles != nil && roles.Status >= 300 {
			return roles, nil
		}
		if err != nil {
			return nil, err
		}
		type page struct {
			Organization string `json:"organization"`
			Name         string `json:"name"`
		}
		out := struct {
			Elements []page `json:"elements"`
		}{Elements: []page{}}
		for _, p := range pages {
			out.Elements = append(out.Elements, page{Organization: p.Value, Name: p.Label})
		}
		body, _ := json.Marshal(out)
		return &plugin.Response{Status: http.StatusOK, Header: roles.Header, Body: body, Call: roles.Call}, nil
	},
	Steps: []string{"GET the member's page roles", "GET each page's name"},
}
