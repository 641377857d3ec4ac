package linkedin

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"pluginserver/internal/wait"
	"pluginserver/plugin"
)

// mediaUpload is an upload through the Images or Documents API:
// initializeUpload names the owner and answers an upload URL and the
// media's URN; the bytes are PUT there; with waitUntilAvailable, the
// media's status is read until LinkedIn has processed it.
type mediaUpload struct {
	kind string // image or document: the API's path and URN kind
	// maxBytes is the largest file LinkedIn documents taking, 0 for none
	// documented (LinkedIn refuses what it will not take).
	maxBytes int64
	// types are the media types LinkedIn takes, with what a builder calls
	// them, and a small file of the first for the form's example.
	types   []string
	named   string
	example string
}

func (u mediaUpload) command(id, title, description string, examples ...plugin.Example) *plugin.Command {
	return &plugin.Command{
		ID: id, Title: title, Description: description,
		Endpoints: []string{"POST /rest/" + u.kind + "s?action=initializeUpload", "PUT {uploadUrl}", "GET /rest/" + u.kind + "s/{" + u.kind + "}"},
		Upload:    true,
		Form: form([]field{
			{name: "owner", required: true, schema: urnSchema("Owner", "Who will post it: person:ID for the member, organization:ID for a page they administer.", "person:782bbtaQ", authorKinds...),
				ui: `{"ui:placeholder":"person:782bbtaQ"}`, options: authorOptions},
			{name: "data", schema: fmt.Sprintf(`{"type":"string","title":"File","description":"The %s (%s), as base64 or a data: URL. Leave empty to send the file as the request's body instead (raw, or multipart), which streams it.","examples":[%q]}`, u.kind, u.named, u.example),
				ui: `{"ui:widget":"file"}`},
			{name: "contentType", schema: fmt.Sprintf(`{"type":"string","title":"Content type","description":"The file's media type; taken from a data: URL or the body's Content-Type when empty.","examples":[%q],"enum":%s}`, u.types[0], jsonList(u.types))},
			{name: "waitUntilAvailable", schema: `{"type":"boolean","title":"Wait until available","description":"Answer once LinkedIn has processed the file (status AVAILABLE), within the call's time.","default":false,"examples":[true]}`},
		}, examples...),
		Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
			p, err := decode[mediaUploadParams](raw)
			if err != nil {
				return nil, err
			}
			if _, _, err := u.file(p, &plugin.File{}); err != nil {
				return nil, err
			}
			return u.initialize(p, s)
		},
		Run:   u.run,
		Steps: []string{"initializeUpload", "PUT the bytes to uploadUrl", "GET the status until AVAILABLE (waitUntilAvailable)"},
	}
}

type mediaUploadParams struct {
	Owner              string `json:"owner"`
	Data               string `json:"data"`
	ContentType        string `json:"contentType"`
	WaitUntilAvailable bool   `json:"waitUntilAvailable"`
}

func jsonList(v []string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// file is what will be sent, from the data param or the request's body,
// checked against what LinkedIn takes before anything is sent.
func (u mediaUpload) file(p mediaUploadParams, f *plugin.File) (*plugin.File, string, error) {
	out, err := fileOf(p.Data, "file", f)
	if err != nil {
		return nil, "", err
	}
	field := "data"
	if p.Data == "" {
		field = "file"
	}
	contentType := cmp.Or(p.ContentType, out.ContentType)
	if mt, ok := mediaType(contentType); ok {
		contentType = mt
	}
	if !slices.Contains(u.types, contentType) {
		if p.ContentType != "" {
			field = "contentType"
		}
		return nil, "", plugin.InvalidField(field, "is %q; LinkedIn takes a %s as %s", contentType, u.kind, strings.Join(u.types, ", "))
	}
	if u.maxBytes > 0 && out.Length > u.maxBytes {
		return nil, "", plugin.InvalidField(field, "is %d bytes; LinkedIn takes a %s of at most %d bytes (%d MB)", out.Length, u.kind, u.maxBytes, u.maxBytes/1_000_000)
	}
	return out, contentType, nil
}

// fileOf is the file a command carries: the request's body, or its data
// param (base64 or a data: URL), never both; what names it in messages.
func fileOf(data, what string, body *plugin.File) (*plugin.File, error) {
	switch {
	case body.Body != nil && data != "":
		return nil, plugin.InvalidField("data", "is given twice: in the params and as the request's body")
	case body.Body != nil:
		return body, nil
	case data == "":
		return nil, plugin.InvalidField("data", "is required, unless the %s is the request's body", what)
	}
	b, dataType, err := decodeData(data)
	if err != nil {
		return nil, err
	}
	return &plugin.File{Body: bytes.NewReader(b), Length: int64(len(b)), ContentType: dataType}, nil
}

func (u mediaUpload) initialize(p mediaUploadParams, s plugin.Settings) (*plugin.Call, error) {
	owner, err := urnParam("owner", p.Owner, authorKinds...)
	if err != nil {
		return nil, err
	}
	return apiCall(s, http.MethodPost, "/rest/"+u.kind+"s", url.Values{"action": {"initializeUpload"}},
		map[string]any{"initializeUploadRequest": map[string]string{"owner": owner}})
}

func (u mediaUpload) run(ctx context.Context, raw json.RawMessage, s plugin.Settings, f *plugin.File, send plugin.Send, progress plugin.Progress) (*plugin.Response, error) {
	p, err := decode[mediaUploadParams](raw)
	if err != nil {
		return nil, err
	}
	file, contentType, err := u.file(p, f)
	if err != nil {
		return nil, err
	}
	init, err := u.initialize(p, s)
	if err != nil {
		return nil, err
	}
	resp, err := sendOK(ctx, send, init)
	if err != nil {
		return stopped(resp, err)
	}
	var plan struct {
		Value map[string]any `json:"value"`
	}
	_ = json.Unmarshal(resp.Body, &plan)
	urn, _ := plan.Value[u.kind].(string)
	rawURL, _ := plan.Value["uploadUrl"].(string)
	if urn == "" || rawURL == "" {
		return resp, plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn's initializeUpload answer has no uploadUrl or %s", u.kind)
	}
	target, err := uploadURL(rawURL, s)
	if err != nil {
		// The URL is LinkedIn's, not the caller's: the token must not
		// follow it whatever it names.
		return resp, plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn's uploadUrl %s", plugin.AsError(err).Fields[0].Message)
	}
	put := &plugin.Call{Method: http.MethodPut, URL: target, Header: http.Header{}, Stream: file.Body, Length: file.Length, Upload: true}
	put.Header.Set("Content-Type", contentType)
	if resp, err = sendOK(ctx, send, put); err != nil {
		return stopped(resp, err)
	}
	progress(file.Length, file.Length)
	out := map[string]any{"id": urn, u.kind: urn}
	if file.Length >= 0 {
		out["bytes"] = file.Length
	}
	if p.WaitUntilAvailable {
		status, answer, err := u.waitAvailable(ctx, s, send, urn)
		if err != nil {
			return stopped(answer, err)
		}
		if status != "AVAILABLE" {
			return nil, plugin.Errorf(plugin.LinkedInRejected, "LinkedIn could not process the %s %s: its status is %s", u.kind, urn, status)
		}
		out["status"], resp = status, answer
	}
	body, _ := json.Marshal(out)
	return &plugin.Response{Status: http.StatusCreated, Header: resp.Header, Body: body, Call: resp.Call}, nil
}

// waitAvailable reads the media's status until it is AVAILABLE or failed,
// more slowly as it waits, until the call's deadline.
func (u mediaUpload) waitAvailable(ctx context.Context, s plugin.Settings, send plugin.Send, urn string) (string, *plugin.Response, error) {
	pause := 500 * time.Millisecond
	for {
		get, err := apiCall(s, http.MethodGet, "/rest/"+u.kind+"s/"+EncodeURN(urn), nil, nil)
		if err != nil {
			return "", nil, err
		}
		resp, err := sendOK(ctx, send, get)
		if err != nil {
			return "", resp, err
		}
		var media struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal(resp.Body, &media)
		switch media.Status {
		case "AVAILABLE", "PROCESSING_FAILED":
			return media.Status, resp, nil
		}
		if err := wait.Sleep(ctx, pause); err != nil {
			return "", resp, plugin.Errorf(plugin.UpstreamTimeout, "LinkedIn had not processed the %s (%s, status %s) when the call's time ran out; ask Get Media Upload Status later", u.kind, urn, cmp.Or(media.Status, "unknown"))
		}
		pause = min(2*pause, 4*time.Second)
	}
}
