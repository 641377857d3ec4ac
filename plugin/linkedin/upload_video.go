package linkedin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"pluginserver/plugin"
)

var uploadVideo = &plugin.Command{
	ID:          "uploadVideo",
	Title:       "Upload Video",
	Description: "Upload a video of any size with the Videos API: initialize, send each part LinkedIn asks for, finalize, and with waitUntilAvailable wait until LinkedIn has processed it. Send the file as the request's body (or, when small, as data); output.video is the URN for a post.",
	Endpoints:   []string{"POST /rest/videos?action=initializeUpload", "PUT {uploadUrl}", "POST /rest/videos?action=finalizeUpload", "GET /rest/videos/{video}"},
	Upload:      true,
	Form: form([]field{authorField,
		{name: "fileSizeBytes", schema: `{"type":"integer","title":"File size in bytes","description":"The video's size. Taken from Content-Length when the file is the raw body; needed with a multipart form.","examples":[52428800],"minimum":1,"maximum":999999999999}`},
		{name: "data", schema: `{"type":"string","title":"File","description":"The video as base64 or a data: URL, for a small one. Leave empty to send the file as the request's body, which streams it.","examples":["data:video/mp4;base64,AAAAGGZ0eXBtcDQy"]}`,
			ui: `{"ui:widget":"file"}`},
		{name: "waitUntilAvailable", schema: `{"type":"boolean","title":"Wait until available","description":"Answer once LinkedIn has processed the video (status AVAILABLE), within the call's time.","default":false,"examples":[true]}`},
	}, example("Upload a small video given as data", `{"author":"person:123456789","data":"data:video/mp4;base64,AAAAGGZ0eXBtcDQy"}`),
		example("Upload a video (the file is the body)", `{"author":"person:123456789"}`)),
	Normalize: normalize(map[string]func(json.RawMessage) (json.RawMessage, error){"fileSizeBytes": numberInString}),
	Build: func(_ context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[videoParams](raw)
		if err != nil {
			return nil, err
		}
		f, err := p.file(&plugin.File{})
		if err != nil {
			return nil, err
		}
		c, _, err := p.initialize(s, f.Length)
		return c, err
	},
	Run:   runVideoUpload,
	Steps: []string{"initializeUpload", "PUT each part", "finalizeUpload", "GET the status until AVAILABLE (waitUntilAvailable)"},
}

type videoParams struct {
	Author             string `json:"author"`
	FileSizeBytes      int64  `json:"fileSizeBytes"`
	Data               string `json:"data"`
	WaitUntilAvailable bool   `json:"waitUntilAvailable"`
}

// file is the video: the request's body, or the data param.
func (p videoParams) file(f *plugin.File) (*plugin.File, error) { return fileOf(p.Data, "video", f) }

// initialize is the call that starts the upload of a video of the given
// length (or fileSizeBytes), and the size it names.
func (p videoParams) initialize(s plugin.Settings, size int64) (*plugin.Call, int64, error) {
	owner, err := authorURN(p.Author)
	if err != nil {
		return nil, 0, err
	}
	if p.FileSizeBytes != 0 {
		size = p.FileSizeBytes
	}
	if size <= 0 {
		return nil, 0, plugin.InvalidField("fileSizeBytes", "is needed when the body's length is not known")
	}
	c, err := apiCall(s, http.MethodPost, "/rest/videos", url.Values{"action": {"initializeUpload"}}, map[string]any{
		"initializeUploadRequest": map[string]any{"owner": owner, "fileSizeBytes": size, "uploadCaptions": false, "uploadThumbnail": false}})
	return c, size, err
}

// numberInString reads a whole number given as a string ("52428800"), as
// it was declared before the form took a number, as the number.
func numberInString(raw json.RawMessage) (json.RawMessage, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return raw, nil
	}
	if _, err := strconv.ParseInt(s, 10, 64); err != nil || s == "" || s[0] == '+' || s[0] == '-' || len(s) > 1 && s[0] == '0' {
		return nil, plugin.InvalidField("fileSizeBytes", "must be a whole number of bytes")
	}
	return json.RawMessage(s), nil
}

// runVideoUpload follows the Videos API: initializeUpload answers with an
// upload URL per byte range; each part is PUT and answers with an ETag;
// finalizeUpload takes the ETags in order. A failed part stops the upload
// before it is finalized.
func runVideoUpload(ctx context.Context, raw json.RawMessage, s plugin.Settings, f *plugin.File, send plugin.Send, progress plugin.Progress) (*plugin.Response, error) {
	p, err := decode[videoParams](raw)
	if err != nil {
		return nil, err
	}
	if f, err = p.file(f); err != nil {
		return nil, err
	}
	init, size, err := p.initialize(s, f.Length)
	if err != nil {
		return nil, err
	}
	resp, err := sendOK(ctx, send, init)
	if err != nil {
		return stopped(resp, err)
	}
	var plan struct {
		Value struct {
			Video        string `json:"video"`
			UploadToken  string `json:"uploadToken"`
			Instructions []struct {
				UploadURL string `json:"uploadUrl"`
				FirstByte int64  `json:"firstByte"`
				LastByte  int64  `json:"lastByte"`
			} `json:"uploadInstructions"`
		} `json:"value"`
	}
	if err := json.Unmarshal(resp.Body, &plan); err != nil || plan.Value.Video == "" || len(plan.Value.Instructions) == 0 {
		return resp, plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn's initializeUpload answer has no upload plan")
	}
	var etags []string
	var sent int64
	for i, part := range plan.Value.Instructions {
		u, err := uploadURL(part.UploadURL, s)
		if err != nil {
			// The URL is LinkedIn's, not the caller's: not bad input, and
			// the token must not follow it whatever it names.
			return resp, plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn's upload plan points part %d elsewhere: its uploadUrl %s", i+1, plugin.AsError(err).Fields[0].Message)
		}
		n := part.LastByte - part.FirstByte + 1
		if part.FirstByte != sent || n <= 0 {
			return resp, plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn's upload plan is not contiguous at part %d", i+1)
		}
		c := &plugin.Call{Method: http.MethodPut, URL: u, Header: http.Header{}, Stream: io.LimitReader(f.Body, n), Length: n, Upload: true}
		c.Header.Set("Content-Type", "application/octet-stream")
		if resp, err = sendOK(ctx, send, c); err != nil {
			return stopped(resp, err)
		}
		etag := resp.Header.Get("ETag")
		if etag == "" {
			return resp, plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn answered part %d without an ETag; the upload is not finalized", i+1)
		}
		etags = append(etags, etag)
		sent += n
		progress(sent, size)
	}
	if sent != size {
		return resp, plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn's upload plan covers %d of %d bytes", sent, size)
	}
	fin, err := apiCall(s, http.MethodPost, "/rest/videos", url.Values{"action": {"finalizeUpload"}}, map[string]any{
		"finalizeUploadRequest": map[string]any{"video": plan.Value.Video, "uploadToken": plan.Value.UploadToken, "uploadedPartIds": etags}})
	if err != nil {
		return nil, err
	}
	if resp, err = sendOK(ctx, send, fin); err != nil {
		return stopped(resp, err)
	}
	out := map[string]any{"video": plan.Value.Video, "parts": len(etags), "bytes": sent}
	if p.WaitUntilAvailable {
		status, answer, err := mediaUpload{kind: "video"}.waitAvailable(ctx, s, send, plan.Value.Video)
		if err != nil {
			return stopped(answer, err)
		}
		if status != "AVAILABLE" {
			return nil, plugin.Errorf(plugin.LinkedInRejected, "LinkedIn could not process the video %s: its status is %s", plan.Value.Video, status)
		}
		out["status"] = status
	}
	body, _ := json.Marshal(out)
	return &plugin.Response{Status: resp.Status, Header: resp.Header, Body: body}, nil
}

// errStop ends the flow at a step LinkedIn refused; the refusal itself is
// the answer returned with it.
var errStop = errors.New("stop")

func sendOK(ctx context.Context, send plugin.Send, c *plugin.Call) (*plugin.Response, error) {
	resp, err := send(ctx, c)
	if err == nil && resp.Status >= 300 {
		err = errStop
	}
	return resp, err
}

// stopped answers with LinkedIn's refusal, which the executor maps like any
// other, or with the failure to reach LinkedIn.
func stopped(resp *plugin.Response, err error) (*plugin.Response, error) {
	if errors.Is(err, errStop) {
		return resp, nil
	}
	return nil, err
}
