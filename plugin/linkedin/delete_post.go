package linkedin

import (
	"context"
	"encoding/json"
	"net/http"

	"pluginserver/plugin"
)

var deletePost = &plugin.Command{
	ID:          "deletePost",
	Title:       "Delete Post",
	Description: "Delete a post with LinkedIn's Posts API. output.id is the post deleted.",
	Endpoints:   []string{"DELETE /rest/posts/{post}"},
	Form: form([]field{postField},
		answered("Delete a post", `{"post":"share:6844785523593134080"}`, 204, nil, `{"id":"urn:li:share:6844785523593134080","deleted":true}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		post, err := postParam(raw)
		if err != nil {
			return nil, err
		}
		c, err := apiCall(s, http.MethodDelete, "/rest/posts/"+EncodeURN(post), nil, nil)
		if err == nil {
			c.Header.Set("X-RestLi-Method", "DELETE")
		}
		return c, err
	},
	Map: changed("deleted"),
}
