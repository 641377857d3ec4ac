package linkedin

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"mime"
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
	Endpoints:   []string{"PUT {uploadUrl}"},
	Upload:      true,
	Form: form([]field{
		{name: "uploadUrl", required: true, schema: `{"type":"string","title":"Upload URL","description":"output.value.uploadMechanism[\"com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest\"].uploadUrl of Register Media Upload.",
			"examples":["https://api.linkedin.com/mediaUpload/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0?ca=vector_feedshare&cn=uploads&m=AQ..&app=1953784&sync=0&v=beta&ut=2H.."],
			"minLength":1,"pattern":"^https?://","errorMessage":"must be the http(s) uploadUrl from Register Media Upload"}`},
		{name: "data", schema: `{"type":"string","title":"File","description":"The file, as base64 or a data: URL (what a file picker gives). Required unless the file is sent as the request's body (raw, or multipart with a file part), which streams it.","examples":["data:image/png;base64,iVBORw0KGgo="],"minLength":1}`,
			ui: `{"ui:widget":"file"}`},
		{name: "contentType", schema: `{"type":"string","title":"Content type","description":"The file's media type. Taken from a data: URL when empty.","examples":["image/png"],"maxLength":255,"pattern":"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$","errorMessage":"must be a media type such as image/png"}`},
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
		if _, ok := mediaType(f.ContentType); p.ContentType == "" && f.ContentType != "" && !ok {
			return nil, plugin.InvalidField("file", "has Content-Type %q, which is not a media type; send the file as image/png, video/mp4 or the like", f.ContentType)
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
	// The form's pattern already holds contentType to a bare type; this
	// keeps a caller that skips the form from reaching the header.
	if len(p.ContentType) > maxMediaType {
		return nil, plugin.InvalidField("contentType", "must be at most %d characters: a media type such as image/png", maxMediaType)
	}
	if _, ok := mediaType(p.ContentType); p.ContentType != "" && !ok {
		return nil, plugin.InvalidField("contentType", "must be a media type such as image/png")
	}
	u, err := uploadURL(p.UploadURL, s)
	if err != nil {
		return nil, err
	}
	c.Method, c.URL, c.Header, c.Upload = http.MethodPut, u, http.Header{}, true
	c.Header.Set("Content-Type", contentType)
	return c, nil
}

// uploadURL accepts only LinkedIn's upload URLs: the token goes with the
// bytes, so it must reach nobody else, and a route of the API reached
// this way could answer for the member's token (a 401 that marks it
// expired, or a call the builder may not make). The path must have the
// shape LinkedIn's answers give: {API root}/mediaUpload/... on the API
// host (Assets API registerUpload), /dms-uploads/... on www.linkedin.com
// (Images, Documents and Videos initializeUpload, and newer registerUpload
// answers), either on another configured upload host.
func uploadURL(raw string, s plugin.Settings) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Fragment != "" || u.Opaque != "" || strings.ContainsAny(raw, "\\\r\n\x00") {
		return nil, plugin.InvalidField("uploadUrl", "must be the uploadUrl from Register Media Upload")
	}
	if u.Scheme != "https" && u.Scheme != s.APIURL.Scheme {
		return nil, plugin.InvalidField("uploadUrl", "must use https")
	}
	host := strings.ToLower(u.Host)
	if !slices.Contains(s.UploadHosts, host) {
		return nil, plugin.InvalidField("uploadUrl", "must point to a LinkedIn upload host (%s)", strings.Join(s.UploadHosts, ", "))
	}
	// What is checked is what is sent: the path as it goes on the wire.
	p := u.EscapedPath()
	if strings.IndexFunc(p, func(r rune) bool { return !uploadPathChar(r) }) >= 0 {
		return nil, plugin.InvalidField("uploadUrl", "must have a path of letters, digits, -, ., _, ~ and / only, as LinkedIn's upload URLs do (no percent-encoding)")
	}
	shaped := false
	for _, prefix := range uploadPrefixes(host, s) {
		if rest, ok := strings.CutPrefix(p, prefix); ok && rest != "" {
			shaped = true
		}
	}
	if !shaped {
		return nil, plugin.InvalidField("uploadUrl", "must be an upload URL as LinkedIn gives it: %s", strings.Join(uploadShapes(s), " or "))
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return nil, plugin.InvalidField("uploadUrl", "must not have empty, . or .. segments in its path")
		}
	}
	u.Host = host
	return u, nil
}

// uploadPrefixes are the paths an upload URL on host may start with.
func uploadPrefixes(host string, s plugin.Settings) []string {
	switch host {
	case strings.ToLower(s.APIURL.Host):
		// The API root may have a path (the sandbox's /sandbox).
		return []string{strings.TrimSuffix(s.APIURL.Path, "/") + "/mediaUpload/"}
	case "www.linkedin.com":
		return []string{"/dms-uploads/"}
	}
	return []string{"/mediaUpload/", "/dms-uploads/"}
}

// uploadShapes describes the upload URLs the settings accept, for a
// builder who pasted something else.
func uploadShapes(s plugin.Settings) []string {
	var shapes []string
	for _, h := range s.UploadHosts {
		scheme := "https"
		if h == strings.ToLower(s.APIURL.Host) {
			scheme = s.APIURL.Scheme
		}
		for _, prefix := range uploadPrefixes(h, s) {
			shapes = append(shapes, scheme+"://"+h+prefix+"…")
		}
	}
	return shapes
}

// uploadPathChar: RFC 3986's unreserved characters and the slash, all that
// LinkedIn's upload paths hold. Anything else (a percent-encoded slash or
// dot, a semicolon some servers cut paths at) could reach another route.
func uploadPathChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~/", r)
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
		if t := strings.TrimSuffix(meta, ";base64"); t != "" {
			mt, ok := mediaType(t)
			if !ok {
				return nil, "", plugin.InvalidField("data", "has %q for its media type, which is not one; a data: URL reads data:TYPE;base64,... with TYPE such as image/png", t)
			}
			contentType = mt
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

// maxMediaType bounds a media type, which becomes a header LinkedIn
// refuses past a size (431): RFC 6838 allows 127 characters for the type
// and for the subtype, and parameters fit in the rest.
const maxMediaType = 255

// mediaType parses a media type, parameters allowed, and returns the bare
// type. A control character is refused before parsing, which would trim
// a trailing CR or LF away: none may reach the Content-Type header, where
// the transport refuses it and the failure looks like LinkedIn's. The
// slash is checked here because ParseMediaType, which also reads
// Content-Disposition, takes a lone token.
func mediaType(v string) (string, bool) {
	if len(v) > maxMediaType || strings.ContainsFunc(v, isControl) {
		return "", false
	}
	mt, _, err := mime.ParseMediaType(v)
	return mt, err == nil && strings.Contains(mt, "/")
}
