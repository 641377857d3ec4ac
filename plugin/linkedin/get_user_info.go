package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"pluginserver/plugin"
)

var getUserInfo = &plugin.Command{
	ID:    "getUserInfo",
	Title: "Get User Info",
	Description: "The authorized member: sub (their person id), name, picture, email. Read from OpenID Connect's /v2/userinfo when the member granted openid (a self-serve app); " +
		"else, on a Community Management app, from /v2/me (r_basicprofile), whose answer comes with sub, name, given_name and family_name added beside LinkedIn's own fields, so output.sub works on both.",
	Endpoints: []string{"GET /v2/userinfo", "GET /v2/me"},
	Form: form(nil,
		answered("The member", `{}`, 200, nil, `{"sub":"782bbtaQ","name":"John Doe","given_name":"John","family_name":"Doe","picture":"https://media.licdn.com/dms/image/C4D03AQ/profile-displayphoto-shrink_100_100/0/1","locale":"en-US","email":"doe@email.com","email_verified":true}`)),
	Build: func(ctx context.Context, _ json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		return apiCall(s, http.MethodGet, memberPath(s), nil, nil)
	},
	Map: member,
}

// memberPath is where the member is read: OpenID Connect's userinfo when
// openid was granted or nothing is known yet, else the profile (/v2/me),
// the only way for a Community Management app, which has no OpenID
// Connect.
func memberPath(s plugin.Settings) string {
	if s.Scopes == nil || slices.Contains(s.Scopes, "openid") || !slices.Contains(s.Scopes, "r_basicprofile") {
		return "/v2/userinfo"
	}
	return "/v2/me"
}

// member is getUserInfo's output: userinfo as LinkedIn sent it, or the
// profile with userinfo's names added (sub is its id), so a binding to
// output.sub works whichever app authorized.
func member(r *plugin.Response) json.RawMessage {
	if r.Call == nil || !strings.HasSuffix(r.Call.URL.Path, "/v2/me") {
		return r.Body
	}
	var body map[string]json.RawMessage
	var me struct {
		ID                 string `json:"id"`
		LocalizedFirstName string `json:"localizedFirstName"`
		LocalizedLastName  string `json:"localizedLastName"`
	}
	if json.Unmarshal(r.Body, &body) != nil || json.Unmarshal(r.Body, &me) != nil || me.ID == "" {
		return r.Body
	}
	add := func(k, v string) {
		if _, taken := body[k]; !taken && v != "" {
			body[k], _ = json.Marshal(v)
		}
	}
	add("sub", me.ID)
	add("name", strings.TrimSpace(me.LocalizedFirstName+" "+me.LocalizedLastName))
	add("given_name", me.LocalizedFirstName)
	add("family_name", me.LocalizedLastName)
	out, _ := marshalJSON(body)
	return out
}
