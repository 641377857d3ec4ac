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
	Form:        form(nil, example("The member", `{}`)),
	Build: func(ctx context.Context, _ json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		return apiCall(s, http.MethodGet, "/v2/userinfo", nil, nil)
	},
}
