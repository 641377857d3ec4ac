package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin/sandbox"
)

func settingsFor(api string, hosts ...string) plugin.Settings {
	u, err := url.Parse(api)
	if err != nil {
		panic(err)
	}
	return plugin.Settings{APIURL: u, Version: "202610", UploadHosts: hosts}
}

var (
	production = settingsFor("https://api.linkedin.com", "api.linkedin.com", "www.linkedin.com")
	// The sandbox serves the API under a path of the server's own host.
	sandboxed = settingsFor("http://127.0.0.1:43210/sandbox", "127.0.0.1:43210", "www.linkedin.com")
	// A trailing slash on the API root changes nothing.
	slashed = settingsFor("http://127.0.0.1:43210/sandbox/", "127.0.0.1:43210")
	// A host added by LINKEDIN_UPLOAD_HOSTS takes either of LinkedIn's shapes.
	extra = settingsFor("https://api.linkedin.com", "api.linkedin.com", "uploads.example.test")
)

// The messages a builder gets, by what is wrong.
const (
	notUploadURL = "must be the uploadUrl from Register Media Upload"
	notHTTPS     = "must use https"
	otherHost    = "must point to a LinkedIn upload host"
	pathChars    = "must have a path of letters, digits, -, ., _, ~ and / only, as LinkedIn's upload URLs do (no percent-encoding)"
	shape        = "must be an upload URL as LinkedIn gives it: "
	segments     = "must not have empty, . or .. segments in its path"
)

func TestUploadURLIsLinkedInsShape(t *testing.T) {
	tests := []struct {
		name     string
		s        plugin.Settings
		raw      string
		problem  string // "" when accepted; else the message's start
		wantPath string
	}{
		// The shapes LinkedIn's answers use (see docs/ and the report).
		{"registerUpload on the API host", production, "https://api.linkedin.com/mediaUpload/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0?ca=vector_feedshare&cn=uploads&m=AQ..&app=1953784&sync=0&v=beta&ut=2H..", "", "/mediaUpload/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0"},
		{"registerUpload, the sp form", production, "https://api.linkedin.com/mediaUpload/sp/D4D22AQHO_ubVxZ7F6A/uploaded-image/0?ca=vector_feedshare&cn=uploads&sync=0&v=beta", "", "/mediaUpload/sp/D4D22AQHO_ubVxZ7F6A/uploaded-image/0"},
		{"registerUpload on www", production, "https://www.linkedin.com/dms-uploads/sp/v2/D5622AQHAc3Ffx8fytQ/uploaded-image/B56ZR_owJjHoAA-/0?ca=vector_feedshare&cn=uploads&iri=B01-86&sync=0&v=beta&ut=0y1hsdt1Q0QHA1", "", ""},
		{"Videos API part", production, "https://www.linkedin.com/dms-uploads/C5505AQH-oV1qvnFtKA/uploadedVideo?sau=aHR0cHM6Ly93d3cubGlua2VkaW4tZWkuY29tL2FtYnJ5Lw", "", ""},
		{"Images API", production, "https://www.linkedin.com/dms-uploads/D4E10AQExample1/uploaded-image/0", "", ""},
		{"host in capitals", production, "https://WWW.LinkedIn.com/dms-uploads/x", "", ""},
		{"sandbox image", sandboxed, "http://127.0.0.1:43210/sandbox/mediaUpload/C5522AQ123/feedshare-uploadedImage/0?ca=vector_feedshare", "", ""},
		{"sandbox video part", sandboxed, "http://127.0.0.1:43210/sandbox/mediaUpload/video/C5F10AQ123/2", "", ""},
		{"sandbox, API root with a slash", slashed, "http://127.0.0.1:43210/sandbox/mediaUpload/x", "", ""},
		{"extra host, mediaUpload", extra, "https://uploads.example.test/mediaUpload/x", "", ""},
		{"extra host, dms-uploads", extra, "https://uploads.example.test/dms-uploads/x", "", ""},

		// Routes of the API and of www that are not uploads.
		{"userinfo", production, "https://api.linkedin.com/v2/userinfo", shape, ""},
		{"a rest route", production, "https://api.linkedin.com/rest/images?action=initializeUpload", shape, ""},
		{"the token endpoint", production, "https://www.linkedin.com/oauth/v2/accessToken", shape, ""},
		{"the API root", production, "https://api.linkedin.com", shape, ""},
		{"the API root with a slash", production, "https://api.linkedin.com/", shape, ""},
		{"mediaUpload alone", production, "https://api.linkedin.com/mediaUpload", shape, ""},
		{"mediaUpload with nothing after", production, "https://api.linkedin.com/mediaUpload/", shape, ""},
		{"mediaUpload in lower case", production, "https://api.linkedin.com/mediaupload/x", shape, ""},
		{"dms-uploads on the API host", production, "https://api.linkedin.com/dms-uploads/x", shape, ""},
		{"mediaUpload on www", production, "https://www.linkedin.com/mediaUpload/x", shape, ""},
		{"extra host, an API route", extra, "https://uploads.example.test/v2/userinfo", shape, ""},
		{"sandbox userinfo", sandboxed, "http://127.0.0.1:43210/sandbox/v2/userinfo", shape, ""},
		{"sandbox, outside the API root", sandboxed, "http://127.0.0.1:43210/mediaUpload/x", shape, ""},
		{"sandbox, a look-alike root", sandboxed, "http://127.0.0.1:43210/sandboxx/mediaUpload/x", shape, ""},

		// Paths that climb out, or could once a server decodes them.
		{"dot-dot", production, "https://api.linkedin.com/mediaUpload/../v2/userinfo", segments, ""},
		{"dot", production, "https://api.linkedin.com/mediaUpload/./x", segments, ""},
		{"empty segment", production, "https://api.linkedin.com/mediaUpload//x", segments, ""},
		{"trailing slash", production, "https://api.linkedin.com/mediaUpload/x/", segments, ""},
		{"sandbox dot-dot", sandboxed, "http://127.0.0.1:43210/sandbox/mediaUpload/../../sandbox/v2/userinfo", segments, ""},
		{"encoded dots", production, "https://api.linkedin.com/mediaUpload/%2e%2e/v2/userinfo", pathChars, ""},
		{"encoded slash", production, "https://api.linkedin.com/mediaUpload%2F..%2Fv2%2Fuserinfo", pathChars, ""},
		{"encoded slash inside", production, "https://www.linkedin.com/dms-uploads/x%2F..%2F..%2Foauth", pathChars, ""},
		{"encoded letter", production, "https://api.linkedin.com/mediaUpload/x%41", pathChars, ""},
		{"semicolon dot-dot", production, "https://api.linkedin.com/mediaUpload/..;/v2/userinfo", pathChars, ""},
		{"space", production, "https://api.linkedin.com/mediaUpload/a b", pathChars, ""},
		{"non-ASCII", production, "https://api.linkedin.com/mediaUpload/é", pathChars, ""},

		// What the check did before and still does.
		{"another host", production, "https://evil.test/mediaUpload/x", otherHost, ""},
		{"another port", production, "https://api.linkedin.com:8443/mediaUpload/x", otherHost, ""},
		{"userinfo in the URL", production, "https://user:pw@api.linkedin.com/mediaUpload/x", notUploadURL, ""},
		{"fragment", production, "https://api.linkedin.com/mediaUpload/x#y", notUploadURL, ""},
		{"backslash", production, `https://api.linkedin.com\@evil.test/mediaUpload/x`, notUploadURL, ""},
		{"opaque", production, "https:api.linkedin.com/mediaUpload/x", notUploadURL, ""},
		{"plain http", production, "http://api.linkedin.com/mediaUpload/x", notHTTPS, ""},
		{"relative", production, "/mediaUpload/x", notHTTPS, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := uploadURL(tt.raw, tt.s)
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tt.wantPath != "" && u.EscapedPath() != tt.wantPath {
					t.Fatalf("path %q, want %q", u.EscapedPath(), tt.wantPath)
				}
				return
			}
			e := plugin.AsError(err)
			if err == nil || e.Code != plugin.InvalidInput || len(e.Fields) != 1 || e.Fields[0].Field != "uploadUrl" || !strings.HasPrefix(e.Fields[0].Message, tt.problem) {
				t.Fatalf("got %v (%+v), want uploadUrl: %s…", err, e.Fields, tt.problem)
			}
		})
	}
}

// TestUploadURLSaysWhatOneLooksLike: the refusal shows the shapes that the
// datasource's settings accept.
func TestUploadURLSaysWhatOneLooksLike(t *testing.T) {
	tests := []struct {
		s    plugin.Settings
		want string
	}{
		{production, shape + "https://api.linkedin.com/mediaUpload/… or https://www.linkedin.com/dms-uploads/…"},
		{sandboxed, shape + "http://127.0.0.1:43210/sandbox/mediaUpload/… or https://www.linkedin.com/dms-uploads/…"},
		{extra, shape + "https://api.linkedin.com/mediaUpload/… or https://uploads.example.test/mediaUpload/… or https://uploads.example.test/dms-uploads/…"},
	}
	for _, tt := range tests {
		_, err := uploadURL(tt.s.APIURL.String()+"/v2/userinfo", tt.s)
		if got := plugin.AsError(err).Message; got != "uploadUrl: "+tt.want {
			t.Errorf("%s: %q, want %q", tt.s.APIURL, got, "uploadUrl: "+tt.want)
		}
	}
}

func TestDecodeDataMediaType(t *testing.T) {
	tests := []struct {
		name, data, wantType, problem string
	}{
		{"bare base64", "aGVsbG8=", "application/octet-stream", ""},
		{"URL alphabet", "_-8", "application/octet-stream", ""},
		{"data URL", "data:image/png;base64,aGVsbG8=", "image/png", ""},
		{"type in capitals", "data:Image/PNG;base64,aGVsbG8=", "image/png", ""},
		{"type with parameters", "data:text/plain;charset=utf-8;base64,aGVsbG8=", "text/plain", ""},
		{"no type", "data:;base64,aGVsbG8=", "application/octet-stream", ""},
		{"CRLF and a header", "data:image/png\r\nX: y;base64,aGVsbG8=", "", `has "image/png\r\nX: y" for its media type, which is not one; a data: URL reads data:TYPE;base64,... with TYPE such as image/png`},
		{"trailing LF", "data:image/png\n;base64,aGVsbG8=", "", `has "image/png\n" for its media type`},
		{"leading CR", "data:\rimage/png;base64,aGVsbG8=", "", `has "\rimage/png" for its media type`},
		{"NUL", "data:image/png\x00;base64,aGVsbG8=", "", `has "image/png\x00" for its media type`},
		{"DEL", "data:image/png\x7f;base64,aGVsbG8=", "", `has "image/png\x7f" for its media type`},
		{"control in a parameter", "data:image/png;name=\"a\x01\";base64,aGVsbG8=", "", "has "},
		{"no subtype", "data:image;base64,aGVsbG8=", "", `has "image" for its media type`},
		{"a space in the type", "data:image png;base64,aGVsbG8=", "", `has "image png" for its media type`},
		{"a broken parameter", "data:image/png;=x;base64,aGVsbG8=", "", `has "image/png;=x" for its media type`},
		{"not base64", "data:image/png,aGVsbG8=", "", "must be a base64 data: URL (data:TYPE;base64,...)"},
		{"no comma", "data:image/png;base64", "", "must be a base64 data: URL (data:TYPE;base64,...)"},
		{"bad payload", "%%%", "", "must be base64 or a data: URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, typ, err := decodeData(tt.data)
			if tt.problem == "" {
				if err != nil || typ != tt.wantType || len(b) == 0 {
					t.Fatalf("%d bytes of %q, %v; want %q", len(b), typ, err, tt.wantType)
				}
				return
			}
			e := plugin.AsError(err)
			if err == nil || e.Code != plugin.InvalidInput || len(e.Fields) != 1 || e.Fields[0].Field != "data" || !strings.HasPrefix(e.Fields[0].Message, tt.problem) {
				t.Fatalf("got %v, want data: %s…", err, tt.problem)
			}
		})
	}
}

// TestUploadMediaRefusesBadTypes: a media type the transport would refuse
// never becomes a call, whichever way it comes, so it is reported as the
// caller's mistake and never as LinkedIn failing.
func TestUploadMediaRefusesBadTypes(t *testing.T) {
	const at = `"uploadUrl":"https://api.linkedin.com/mediaUpload/C5522AQGTYER3k3ByHQ/feedshare-uploadedImage/0"`
	tests := []struct {
		name        string
		params      string
		file        *plugin.File // nil: Build, else Stream
		field       string       // "" when accepted
		contentType string
	}{
		{"data URL with CRLF", `{` + at + `,"data":"data:image/png\r\nX: y;base64,aGVsbG8="}`, nil, "data", ""},
		{"data URL with CRLF, contentType given", `{` + at + `,"data":"data:image/png\r\nX: y;base64,aGVsbG8=","contentType":"image/png"}`, nil, "data", ""},
		{"contentType with CRLF", `{` + at + `,"data":"aGVsbG8=","contentType":"image/png\r\nX: y"}`, nil, "contentType", ""},
		{"contentType that is no type", `{` + at + `,"data":"aGVsbG8=","contentType":"png"}`, nil, "contentType", ""},
		{"data URL type", `{` + at + `,"data":"data:image/gif;base64,aGVsbG8="}`, nil, "", "image/gif"},
		{"contentType wins", `{` + at + `,"data":"data:image/gif;base64,aGVsbG8=","contentType":"image/png"}`, nil, "", "image/png"},
		{"streamed file with a control", `{` + at + `}`, &plugin.File{Body: strings.NewReader("x"), Length: 1, ContentType: "image/png; name=\"a\x01\""}, "file", ""},
		{"streamed file that is no type", `{` + at + `}`, &plugin.File{Body: strings.NewReader("x"), Length: 1, ContentType: "image"}, "file", ""},
		{"streamed file, contentType given", `{` + at + `,"contentType":"image/png"}`, &plugin.File{Body: strings.NewReader("x"), Length: 1, ContentType: "image"}, "", "image/png"},
		{"streamed file with parameters", `{` + at + `}`, &plugin.File{Body: strings.NewReader("x"), Length: 1, ContentType: "image/png; name=a.png"}, "", "image/png; name=a.png"},
		{"streamed file without a type", `{` + at + `}`, &plugin.File{Body: strings.NewReader("x"), Length: 1}, "", "application/octet-stream"},
		{"streamed to another path", `{"uploadUrl":"https://api.linkedin.com/v2/userinfo"}`, &plugin.File{Body: strings.NewReader("x"), Length: 1}, "uploadUrl", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *plugin.Call
			var err error
			if tt.file == nil {
				c, err = uploadMedia.Build(context.Background(), json.RawMessage(tt.params), production)
			} else {
				c, err = uploadMedia.Stream(context.Background(), json.RawMessage(tt.params), production, tt.file)
			}
			if tt.field == "" {
				if err != nil || c.Header.Get("Content-Type") != tt.contentType || !c.Upload {
					t.Fatalf("%+v, %v; want Content-Type %q", c, err, tt.contentType)
				}
				return
			}
			e := plugin.AsError(err)
			if c != nil || e.Code != plugin.InvalidInput || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Fatalf("%+v, %v; want invalid_input on %s", c, err, tt.field)
			}
		})
	}
}

// TestSandboxUploadURLsPass: the upload URLs the emulator hands out, under
// the API root that --sandbox gives it, pass the check, and nothing else
// of the emulator's does.
func TestSandboxUploadURLsPass(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base := srv.URL + "/sandbox"
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sandbox.New(sandbox.Options{BaseURL: base})))
	s := settingsFor(base, strings.TrimPrefix(srv.URL, "http://"), "www.linkedin.com")
	token := sandboxToken(t, base)

	call := func(path string, body any, header ...string) map[string]any {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(string(raw)))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
		for i := 0; i < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Value map[string]any }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		return out.Value
	}
	var urls []string
	for _, recipe := range []string{"feedshare-image", "feedshare-video"} {
		v := call("/v2/assets?action=registerUpload", map[string]any{"registerUploadRequest": map[string]any{
			"recipes": []string{"urn:li:digitalmediaRecipe:" + recipe}, "owner": "urn:li:person:" + sandbox.Member["sub"].(string),
			"serviceRelationships": []map[string]string{{"relationshipType": "OWNER", "identifier": "urn:li:userGeneratedContent"}}}})
		mech := v["uploadMechanism"].(map[string]any)["com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest"].(map[string]any)
		urls = append(urls, mech["uploadUrl"].(string))
	}
	v := call("/rest/videos?action=initializeUpload", map[string]any{"initializeUploadRequest": map[string]any{
		"owner": "urn:li:person:" + sandbox.Member["sub"].(string), "fileSizeBytes": 2*sandbox.PartSize + 1}}, "LinkedIn-Version", "202610")
	for _, part := range v["uploadInstructions"].([]any) {
		urls = append(urls, part.(map[string]any)["uploadUrl"].(string))
	}
	if len(urls) != 5 {
		t.Fatalf("upload URLs %v", urls)
	}
	for _, raw := range urls {
		u, err := uploadURL(raw, s)
		if err != nil {
			t.Errorf("the sandbox's %s is refused: %v", raw, err)
			continue
		}
		// And the emulator takes bytes there.
		req, _ := http.NewRequest("PUT", u.String(), strings.NewReader("x"))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			t.Errorf("the sandbox has no upload at its own %s", raw)
		}
	}
	for _, route := range []string{"/v2/userinfo", "/v2/ugcPosts", "/rest/videos", "/oauth/v2/accessToken", "/media/x"} {
		if _, err := uploadURL(base+route, s); err == nil {
			t.Errorf("the sandbox's %s passes as an upload URL", route)
		}
	}
}

// sandboxToken authorizes the sandbox's member with w_member_social.
func sandboxToken(t *testing.T, base string) string {
	t.Helper()
	token, err := sandbox.Token(http.DefaultTransport, base, "openid", "profile", "w_member_social")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// FuzzUploadURL: an accepted upload URL is on an upload host, under an
// upload path, and its path is already clean, so no server can read it
// as another route.
func FuzzUploadURL(f *testing.F) {
	for _, seed := range []string{
		"https://api.linkedin.com/mediaUpload/C5522AQ/feedshare-uploadedImage/0?ca=x", "https://www.linkedin.com/dms-uploads/sp/v2/D5/0",
		"https://api.linkedin.com/mediaUpload/../v2/userinfo", "https://api.linkedin.com/mediaUpload/%2e%2e/x", "http://127.0.0.1:43210/sandbox/mediaUpload/x",
		"https://api.linkedin.com/mediaUpload/x/./", "https://www.linkedin.com/dms-uploads/a%2fb",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, s := range []plugin.Settings{production, sandboxed} {
			u, err := uploadURL(raw, s)
			if err != nil {
				if e := plugin.AsError(err); e.Code != plugin.InvalidInput || len(e.Fields) != 1 || e.Fields[0].Field != "uploadUrl" {
					t.Fatalf("%q refused without naming uploadUrl: %v", raw, err)
				}
				continue
			}
			p := u.EscapedPath()
			if !slices.Contains(s.UploadHosts, u.Host) || u.Host != strings.ToLower(u.Host) || u.User != nil || strings.Contains(p, "%") || path.Clean(p) != p {
				t.Fatalf("%q accepted as %s (path %q)", raw, u, p)
			}
			prefixed := false
			for _, prefix := range uploadPrefixes(u.Host, s) {
				prefixed = prefixed || strings.HasPrefix(p, prefix)
			}
			if !prefixed {
				t.Fatalf("%q accepted outside the upload paths", raw)
			}
		}
	})
}
