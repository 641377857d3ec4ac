package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"

	"pluginserver/plugin"
)

var getMediaUploadStatus = &plugin.Command{
	ID:          "getMediaUploadStatus",
	Title:       "Get Media Upload Status",
	Description: "Whether an uploaded image, video or document is ready: output.status is WAITING_UPLOAD, PROCESSING, AVAILABLE or PROCESSING_FAILED.",
	Endpoints:   []string{"GET /rest/images/{image}", "GET /rest/videos/{video}", "GET /rest/documents/{document}"},
	Form: form([]field{
		{name: "mediaCategory", required: true, schema: `{"type":"string","title":"Media category","default":"image","examples":["image"],
			"oneOf":[{"const":"image","title":"Image"},{"const":"video","title":"Video"},{"const":"document","title":"Document"}]}`},
		{name: "mediaId", required: true, schema: `{"type":"string","title":"Media id","description":"The bare id, the asset URN from Register Media Upload, or an image, video or document URN.",
			"examples":["C5522AQGTYER3k3ByHQ","urn:li:digitalmediaAsset:C5522AQGTYER3k3ByHQ","urn:li:image:C5522AQGTYER3k3ByHQ"],
			"pattern":"^(urn:li:(digitalmediaAsset|image|video|document):)?[A-Za-z0-9_-]+$","errorMessage":"must be a media id or a urn:li:digitalmediaAsset, image, video or document URN"}`},
	}, answered("Status of an image", `{"mediaCategory":"image","mediaId":"urn:li:digitalmediaAsset:C5522AQGTYER3k3ByHQ"}`, 200, nil,
		`{"id":"urn:li:image:C5522AQGTYER3k3ByHQ","owner":"urn:li:person:123456789","status":"AVAILABLE","downloadUrl":"https://media.licdn.com/dms/image/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0","downloadUrlExpiresAt":1801101585634}`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			MediaCategory string `json:"mediaCategory"`
			MediaID       string `json:"mediaId"`
		}](raw)
		if err != nil {
			return nil, err
		}
		m := mediaIDPattern.FindStringSubmatch(p.MediaID)
		if m == nil {
			return nil, plugin.InvalidField("mediaId", "must be a media id or a urn:li:digitalmediaAsset, image, video or document URN")
		}
		if kind := m[1]; kind != "" && kind != "digitalmediaAsset" && kind != p.MediaCategory {
			return nil, plugin.InvalidField("mediaId", "is a %s URN but mediaCategory is %s", kind, p.MediaCategory)
		}
		urn := "urn:li:" + p.MediaCategory + ":" + m[2]
		return apiCall(s, http.MethodGet, "/rest/"+p.MediaCategory+"s/"+EncodeURN(urn), nil, nil)
	},
}

var mediaIDPattern = regexp.MustCompile(`^(?:urn:li:(digitalmediaAsset|image|video|document):)?([A-Za-z0-9_-]+)$`)
