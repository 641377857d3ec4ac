package linkedin

import (
	"context"
	"encoding/json"
	"net/http"

	"pluginserver/plugin"
)

var getUserInfo = &plugin.Command{
	ID:          "getUserInfo",
	Title:       "Get User Info",
	Description: "The authorized member's OpenID Connect userinfo: sub (their person id), name, picture, email.",
	Scopes:      []string{"openid", "profile"},
	Form:        form(nil, answered("The member", `{}`, 200, nil, `{"sub":"782bbtaQ","name":"John Doe","given_name":"John","family_name":"Doe","picture":"https://media.licdn.com/dms/image/C4D03AQ/profile-displayphoto-shrink_100_100/0/1","locale":"en-US","email":"doe@email.com","email_verified":true}`)),
	Build: func(ctx context.Context, _ json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		return apiCall(s, http.MethodGet, "/v2/userinfo", nil, nil)
	},
}
