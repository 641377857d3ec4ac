package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"pluginserver/plugin"
)

var getFollowerCount = &plugin.Command{
	ID:          "getFollowerCount",
	Title:       "Get Follower Count",
	Description: "How many members follow a page now (output.firstDegreeSize), from LinkedIn's Organization Lookup; rows holds it as one row for a stat widget.",
	Endpoints:   []string{"GET /rest/networkSizes/{organization}"},
	Form: form([]field{organizationField},
		answered("A page's followers", `{"organization":"organization:2414183"}`, 200, nil, `{"firstDegreeSize":219145}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			Organization string `json:"organization"`
		}](raw)
		if err != nil {
			return nil, err
		}
		org, err := organizationParam(p.Organization)
		if err != nil {
			return nil, err
		}
		return apiCall(s, http.MethodGet, "/rest/networkSizes/"+RestliEncode(org), url.Values{"edgeType": {"COMPANY_FOLLOWED_BY_MEMBER"}}, nil)
	},
	Rows: func(output json.RawMessage) json.RawMessage {
		o := decodeObject(output)
		if o == nil {
			return nil
		}
		n, ok := o["firstDegreeSize"]
		if !ok {
			return rowsJSON(nil)
		}
		return rowsJSON([]row{{{"followers", n}}})
	},
}
