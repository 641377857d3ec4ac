package linkedin

import (
	"context"
	"encoding/json"
	"net/url"

	"pluginserver/plugin"
)

var registerMediaUpload = &plugin.Command{
	ID:          "registerMediaUpload",
	Title:       "Register Media Upload",
	Description: "Ask LinkedIn for an upload URL (Assets API). output.value.uploadMechanism[...].uploadUrl goes to Upload Media; output.value.asset goes into Create Post With Media.",
	Endpoints:   []string{"POST /v2/assets?action=registerUpload"},
	Form: form([]field{authorField,
		{name: "mediaCategory", required: true, schema: `{"type":"string","title":"Media category","default":"image","examples":["image"],
			"oneOf":[{"const":"image","title":"Image"},{"const":"video","title":"Video"}]}`},
	}, answered("Register an image", `{"author":"person:123456789","mediaCategory":"image"}`, 200, nil,
		`{"value":{"uploadMechanism":{"com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest":{"headers":{},"uploadUrl":"https://api.linkedin.com/mediaUpload/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0?ca=vector_feedshare&cn=uploads&m=AQ..&app=1953784&sync=0&v=beta&ut=2H.."}},"mediaArtifact":"urn:li:digitalmediaMediaArtifact:(urn:li:digitalmediaAsset:C5522AQGTYER3k3ByHQ,urn:li:digitalmediaMediaArtifactClass:feedshare-uploadedImage)","asset":"urn:li:digitalmediaAsset:C5522AQGTYER3k3ByHQ"}}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			Author        string `json:"author"`
			MediaCategory string `json:"mediaCategory"`
		}](raw)
		if err != nil {
			return nil, err
		}
		owner, err := authorURN(p.Author)
		if err != nil {
			return nil, err
		}
		body := map[string]any{"registerUploadRequest": map[string]any{
			"recipes": []string{"urn:li:digitalmediaRecipe:feedshare-" + p.MediaCategory},
			"owner":   owner,
			"serviceRelationships": []map[string]string{
				{"relationshipType": "OWNER", "identifier": "urn:li:userGeneratedContent"},
			},
		}}
		return apiCall(s, "POST", "/v2/assets", url.Values{"action": {"registerUpload"}}, body)
	},
}
