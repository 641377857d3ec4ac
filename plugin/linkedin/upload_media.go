package linkedin

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"pluginserver/plugin"
)

var uploadMedia = &plugin.Command{
	ID:          "uploadMedia",
	Title:       "Upload Media",
	Description: "Send a file's bytes to the uploadUrl that Register Media Upload returned. The asset becomes AVAILABLE once LinkedIn has processed it.",
	Scopes:      []string{"w_member_social"},
	Upload:      true,
	Form: form([]field{
		{name: "uploadUrl", required: true, schema: `{"type":"string","title":"Upload URL","description":"output.value.uploadMechanism[\"com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest\"].uploadUrl of Register Media Upload.",
			"examples":["https://api.linkedin.com/mediaUpload/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0?ca=vector_feedshare&cn=uploads&m=AQ..&app=1953784&sync=0&v=beta&ut=2H.."],
			"minLength":1,"pattern":"^https?://","errorMessage":"must be the http(s) uploadUrl from Register Media Upload"}`},
		{name: "data", schema: `{"type":"string","title":"File","description":"The file, as base64 or a data: URL (what a file picker gives). Required unless the file is sent as the request's body (raw, or multipart with a file part), which streams it.","examples":["data:image/png;base64,iVBORw0KGgo="],"minLength":1}`,
			ui: `{"ui:widget":"file"}`},
		{name: "contentType", schema: `{"type":"string","title":"Content type","description":"The file's media type. Taken from a data: URL when empty.","examples":["image/png"],"pattern":"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$","errorMessage":"must be a media type such as image/png"}`},
	}, answered("Upload a PNG", `{"uploadUrl":"https://api.linkedin.com/mediaUpload/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0?ca=vector_feedshare&cn=uploads&m=AQ..&app=1953784&sync=0&v=beta&ut=2H..","data":"data:image/png;base64,iVBORw0KGgo=","contentType":"image/png"}`,
		201, nil, `null`)),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[uploadParams](raw)
		if err != nil {
			return nil, err
		}
		if p.Data == "" {
			return nil, plugin.InvalidField("data", "is required, unless the file is the request's body")
		}
		data, dataType, err := decodeData(p.Data)
		if err != nil {
			return nil, err
		}
		return p.call(s, cmp.Or(p.ContentType, dataType), &plugin.Call{Body: data})
	},
	Stream: func(ctx context.Context, raw json.RawMessage, s plugin.Settings, f *plugin.File) (*plugin.Call, error) {
		p, err := decode[uploadParams](raw)
		if err != nil {
			return nil, err
		}
		if p.Data != "" {
			return nil, plugin.InvalidField("data", "is given twice: in the params and as the request's body")
		}
		return p.call(s, cmp.Or(p.ContentType, f.ContentType, "application/octet-stream"), &plugin.Call{Stream: f.Body, Length: f.Length})
	},
}

type uploadParams struct {
	UploadURL   string `json:"uploadUrl"`
	Data        string `json:"data"`
	ContentType string `json:"contentType"`
}

// call completes an upload: PUT to a checked upload URL with the type.
func (p uploadParams) call(s plugin.Settings, contentType string, c *plugin.Call) (*plugin.Call, error) {
	u, err := uploadURL(p.UploadURL, s)
	if err != nil {
		return nil, err
	}
	c.Method, c.URL, c.Header = http.MethodPut, u, http.Header{}
	c.Header.Set("Content-Type", contentType)
	return c, nil
}

// uploadURL accepts only URLs on LinkedIn's upload hosts: the token goes
// with the bytes, so it must never reach anyone else.
func uploadURL(raw string, s plugin.Settings) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Fragment != "" || strings.ContainsAny(raw, "\\\r\n\x00") {
		return nil, plugin.InvalidField("uploadUrl", "must be the uploadUrl from Register Media Upload")
	}
	if u.Scheme != "https" && u.Scheme != s.APIURL.Scheme {
		return nil, plugin.InvalidField("uploadUrl", "must use https")
	}
	if !slices.Contains(s.UploadHosts, strings.ToLower(u.Host)) {
		return nil, plugin.InvalidField("uploadUrl", "must point to a LinkedIn upload host (%s)", strings.Join(s.UploadHosts, ", "))
	}
	return u, nil
}

// decodeData reads base64 (standard or URL alphabet, padded or not) or a
// data: URL, and returns the bytes with the URL's media type.
func decodeData(s string) ([]byte, string, error) {
	contentType := "application/octet-stream"
	if rest, ok := strings.CutPrefix(s, "data:"); ok {
		meta, payload, found := strings.Cut(rest, ",")
		if !found || !strings.HasSuffix(meta, ";base64") {
			return nil, "", plugin.InvalidField("data", "must be a base64 data: URL (data:TYPE;base64,...)")
		}
		if t, _, _ := strings.Cut(meta, ";"); t != "" {
			contentType = t
		}
		s = payload
	}
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) > 0 {
			return b, contentType, nil
		}
	}
	return nil, "", plugin.InvalidField("data", "must be base64 or a data: URL")
}
