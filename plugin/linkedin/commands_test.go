package linkedin_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"pluginserver/internal/catalog"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// normalized is params as the executor validates them: rewritten by the
// command's Normalize, when it has one.
func normalized(cmd *plugin.Command, params json.RawMessage) (json.RawMessage, error) {
	if cmd.Normalize == nil {
		return params, nil
	}
	return cmd.Normalize(params)
}

// prepared normalizes params and validates them against the command's
// form, the way the executor does; problems are the form's refusal.
func prepared(t *testing.T, command, params string) (*plugin.Command, json.RawMessage, []plugin.FieldProblem) {
	t.Helper()
	cat, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	cmd, v, err := cat.Command("linkedin", command)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := normalized(cmd, json.RawMessage(params))
	if err != nil {
		if pe := plugin.AsError(err); pe.Code == plugin.InvalidInput {
			return cmd, nil, pe.Fields
		}
		t.Fatal(err)
	}
	return cmd, raw, v.Validate(raw)
}

// run normalizes params, validates them against the command's form and
// builds the request, the way the executor does.
func run(t *testing.T, command, params string) (*plugin.Call, []plugin.FieldProblem) {
	t.Helper()
	cmd, raw, problems := prepared(t, command, params)
	if problems != nil {
		return nil, problems
	}
	call, err := cmd.Build(context.Background(), raw, testSettings())
	var pe *plugin.Error
	if errors.As(err, &pe) {
		if pe.Code != plugin.InvalidInput {
			t.Fatalf("build error code %s, want invalid_input", pe.Code)
		}
		return nil, pe.Fields
	}
	if err != nil {
		t.Fatal(err)
	}
	return call, nil
}

// refused checks that params are refused, nothing built, with a problem
// naming field (and saying message, when one is given).
func refused(t *testing.T, command, params, field, message string) {
	t.Helper()
	call, problems := run(t, command, params)
	if call != nil {
		t.Fatalf("built %s %s, want a refusal", call.Method, call.URL)
	}
	i := slices.IndexFunc(problems, func(p plugin.FieldProblem) bool { return p.Field == field })
	if i < 0 {
		t.Fatalf("problems %v name no field %q", problems, field)
	}
	if message != "" && problems[i].Message != message {
		t.Errorf("message %q, want %q", problems[i].Message, message)
	}
}

const post = `"lifecycleState":"PUBLISHED","text":"Hi","visibility":"PUBLIC"`

func TestBadInputNamesTheField(t *testing.T) {
	long := strings.Repeat("a", 3001)
	tests := []struct {
		name, command, params, field, message string
	}{
		{"unknown field", "createPost", `{"author":"person:1",` + post + `,"colour":"red"}`, "colour", "is not a known field"},
		{"missing field", "createPost", `{"author":"person:1","lifecycleState":"PUBLISHED","visibility":"PUBLIC"}`, "text", "is required"},
		{"wrong type", "createPost", `{"author":1,"lifecycleState":"PUBLISHED","text":"Hi","visibility":"PUBLIC"}`, "author", "must be a string"},
		{"enum in the wrong case", "createPost", `{"author":"person:1","lifecycleState":"PUBLISHED","text":"Hi","visibility":"public"}`, "visibility", "must be one of PUBLIC, CONNECTIONS"},
		{"lifecycle in the wrong case", "createPost", `{"author":"person:1","lifecycleState":"published","text":"Hi","visibility":"PUBLIC"}`, "lifecycleState", "must be one of PUBLISHED, DRAFT"},
		{"empty text", "createPost", `{"author":"person:1","lifecycleState":"PUBLISHED","text":"","visibility":"PUBLIC"}`, "text", "must not be empty"},
		{"blank text", "createPost", `{"author":"person:1","lifecycleState":"PUBLISHED","text":"  \n ","visibility":"PUBLIC"}`, "text", "must not be empty"},
		{"text over 3000", "createPost", `{"author":"person:1","lifecycleState":"PUBLISHED","text":"` + long + `","visibility":"PUBLIC"}`, "text", "must be at most 3000 characters"},
		{"author of another kind", "createPost", `{"author":"company:1",` + post + `}`, "author", "must be person:ID, organization:ID or a urn:li:person / urn:li:organization URN"},
		{"author as a bare id", "createPost", `{"author":"123456789",` + post + `}`, "author", "must be person:ID, organization:ID or a urn:li:person / urn:li:organization URN"},
		{"media string that is not JSON", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"IMAGE","media":"[{not json"}`, "media", ""},
		{"media of the wrong type", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"IMAGE","media":42}`, "media", "must be an array"},
		{"media entry without asset", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"IMAGE","media":[{"title":"x"}]}`, "media.0.media", ""},
		{"article without url", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"ARTICLE","media":[{"title":"x"}]}`, "media.0.originalUrl", ""},
		{"media entry with unknown field", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"IMAGE","media":"[{\"asset\":\"x\"}]"}`, "media.0.asset", "is not a known field"},
		{"media string holding no array", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"IMAGE","media":"{\"media\":\"urn:li:image:C5\"}"}`, "media", ""},
		{"media entry not READY", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"IMAGE","media":[{"media":"urn:li:image:C5","status":"PROCESSING"}]}`, "media.0.status", "must be one of READY"},
		{"media entry URN of another kind", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"IMAGE","media":[{"media":"urn:li:share:5"}]}`, "media.0.media", "must be an asset URN such as urn:li:digitalmediaAsset:C5422AQEbc381YmIuvg"},
		{"video size not a number", "uploadVideo", `{"author":"person:1","fileSizeBytes":"5MB","data":"aGk="}`, "fileSizeBytes", "must be a whole number of bytes"},
		{"video size zero", "uploadVideo", `{"author":"person:1","fileSizeBytes":0,"data":"aGk="}`, "fileSizeBytes", ""},
		{"custom body of a GET given as text", "customAction", `{"method":"GET","path":"/v2/me","body":"{}"}`, "body", "a GET carries no body"},
		{"category in the wrong case", "registerMediaUpload", `{"author":"person:1","mediaCategory":"IMAGE"}`, "mediaCategory", "must be one of image, video"},
		{"upload to another host", "uploadMedia", `{"uploadUrl":"https://evil.test/mediaUpload/x","data":"aGk="}`, "uploadUrl", ""},
		{"upload with credentials", "uploadMedia", `{"uploadUrl":"https://user:pw@api.linkedin.com/mediaUpload/x","data":"aGk="}`, "uploadUrl", ""},
		{"upload data not base64", "uploadMedia", `{"uploadUrl":"https://api.linkedin.com/mediaUpload/x","data":"%%%"}`, "data", ""},
		{"media id of another kind", "getMediaUploadStatus", `{"mediaCategory":"image","mediaId":"urn:li:video:C55"}`, "mediaId", "is a video URN but mediaCategory is image"},
		{"media id with a slash", "getMediaUploadStatus", `{"mediaCategory":"image","mediaId":"../x"}`, "mediaId", ""},
		{"custom path off the API", "customAction", `{"method":"GET","path":"https://evil.test/v2/me"}`, "path", "must stay on the LinkedIn API host api.linkedin.com"},
		{"custom path climbing out", "customAction", `{"method":"GET","path":"/v2/../admin"}`, "path", ""},
		{"custom path encoded dots", "customAction", `{"method":"GET","path":"/v2/%2e%2e/admin"}`, "path", ""},
		{"a 10 MB content type", "uploadMedia", `{"uploadUrl":"https://api.linkedin.com/mediaUpload/x","data":"aGk=","contentType":"image/` + strings.Repeat("p", 10<<20) + `"}`, "contentType", "must be at most 255 characters"},
		{"a 10 MB data: URL type", "uploadMedia", `{"uploadUrl":"https://api.linkedin.com/mediaUpload/x","data":"data:image/` + strings.Repeat("p", 10<<20) + `;base64,aGk="}`, "data", ""},
		{"a 10 MB custom header", "customAction", `{"method":"GET","path":"/v2/me","headers":{"X-Big":"` + strings.Repeat("v", 10<<20) + `"}}`, "headers.X-Big", "must be at most 4096 bytes"},
		{"custom path with path parameters", "customAction", `{"method":"GET","path":"/rest/..;/admin"}`, "path", "must not contain ';'"},
		{"custom path with a parameter on a segment", "customAction", `{"method":"GET","path":"/rest/posts;jsessionid=1"}`, "path", "must not contain ';'"},
		{"custom path with overlong UTF-8 dots", "customAction", `{"method":"GET","path":"/rest/%c0%ae%c0%ae/admin"}`, "path", "must be UTF-8 once percent-decoded (no overlong or stray bytes)"},
		{"custom path with a stray byte", "customAction", `{"method":"GET","path":"/v2/me%ff"}`, "path", "must be UTF-8 once percent-decoded (no overlong or stray bytes)"},
		{"custom method", "customAction", `{"method":"TRACE","path":"/v2/me"}`, "method", "must be one of GET, POST, PUT, PATCH, DELETE"},
		{"custom authorization header", "customAction", `{"method":"GET","path":"/v2/me","headers":{"authorization":"Bearer x"}}`, "headers.authorization", "may not be set by the caller"},
		{"custom header with CRLF", "customAction", `{"method":"GET","path":"/v2/me","headers":{"X-A":"1\r\nHost: evil"}}`, "headers.X-A", "must not contain control characters"},
		{"custom GET with a body", "customAction", `{"method":"GET","path":"/v2/me","body":{"a":1}}`, "body", "a GET carries no body"},
		{"params not an object", "getUserInfo", `[]`, "", "must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { refused(t, tt.command, tt.params, tt.field, tt.message) })
	}
}

func TestBuildRules(t *testing.T) {
	tests := []struct {
		name, command, params string
		check                 func(t *testing.T, c *plugin.Call)
	}{
		{"person: becomes a person URN", "createPost", `{"author":"person:8675309",` + post + `}`, func(t *testing.T, c *plugin.Call) {
			if !strings.Contains(string(c.Body), `"author":"urn:li:person:8675309"`) {
				t.Errorf("body %s", c.Body)
			}
		}},
		{"organization: becomes an organization URN", "createPost", `{"author":"organization:2414183",` + post + `}`, func(t *testing.T, c *plugin.Call) {
			if !strings.Contains(string(c.Body), `"author":"urn:li:organization:2414183"`) {
				t.Errorf("body %s", c.Body)
			}
		}},
		{"a URN stays", "createPost", `{"author":"urn:li:person:8675309",` + post + `}`, func(t *testing.T, c *plugin.Call) {
			if !strings.Contains(string(c.Body), `"author":"urn:li:person:8675309"`) {
				t.Errorf("body %s", c.Body)
			}
		}},
		{"media as an array equals media as a string", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"IMAGE","media":"[{\"media\":\"urn:li:digitalmediaAsset:C5\",\"title\":{\"text\":\"T\"}}]"}`, func(t *testing.T, c *plugin.Call) {
			other, _ := run(t, "createPostWithMedia", `{"author":"person:1",`+post+`,"mediaCategory":"IMAGE","media":[{"media":"urn:li:digitalmediaAsset:C5","title":"T"}]}`)
			if string(other.Body) != string(c.Body) {
				t.Errorf("string form %s\narray form %s", c.Body, other.Body)
			}
		}},
		{"an article string with LinkedIn's text objects equals the form's entries", "createPostWithMedia", `{"author":"person:1",` + post + `,"mediaCategory":"ARTICLE","media":"[{\"status\":\"READY\",\"originalUrl\":\"https://example.com/a?b=1&c=<2>\",\"title\":{\"text\":\"T\"},\"description\":{\"text\":\"D\"}}]"}`, func(t *testing.T, c *plugin.Call) {
			other, _ := run(t, "createPostWithMedia", `{"author":"person:1",`+post+`,"mediaCategory":"ARTICLE","media":[{"originalUrl":"https://example.com/a?b=1&c=<2>","title":"T","description":"D"}]}`)
			if string(other.Body) != string(c.Body) || !strings.Contains(string(c.Body), `"originalUrl":"https://example.com/a?b=1\u0026c=\u003c2\u003e"`) {
				t.Errorf("string form %s\narray form %s", c.Body, other.Body)
			}
		}},
		{"a JSON body is sent as the caller wrote it", "customAction", `{"method":"POST","path":"/rest/posts","body":{"a": [1, 2],"b":"<&>"}}`, func(t *testing.T, c *plugin.Call) {
			other, _ := run(t, "customAction", `{"method":"POST","path":"/rest/posts","body":"{\"a\": [1, 2],\"b\":\"<&>\"}"}`)
			if want := `{"a": [1, 2],"b":"<&>"}`; string(c.Body) != want || string(other.Body) != want || c.Header.Get("Content-Type") != "application/json" {
				t.Errorf("object body %s, string body %s, want %s", c.Body, other.Body, want)
			}
		}},
		{"a null body is no body", "customAction", `{"method":"GET","path":"/v2/userinfo","body":null}`, func(t *testing.T, c *plugin.Call) {
			if c.Body != nil || c.Header.Get("Content-Type") != "" {
				t.Errorf("call %+v", c)
			}
		}},
		{"a video's size as a string equals the number", "uploadVideo", `{"author":"person:1","fileSizeBytes":"52428800","data":"aGk="}`, func(t *testing.T, c *plugin.Call) {
			other, _ := run(t, "uploadVideo", `{"author":"person:1","fileSizeBytes":52428800,"data":"aGk="}`)
			if string(other.Body) != string(c.Body) || !strings.Contains(string(c.Body), `"fileSizeBytes":52428800`) {
				t.Errorf("string size %s\nnumber size %s", c.Body, other.Body)
			}
		}},
		{"asset URN to image URN, percent-encoded", "getMediaUploadStatus", `{"mediaCategory":"video","mediaId":"urn:li:digitalmediaAsset:C5(x)"}`, nil},
		{"video status path", "getMediaUploadStatus", `{"mediaCategory":"video","mediaId":"C5522"}`, func(t *testing.T, c *plugin.Call) {
			if got := c.URL.EscapedPath(); got != "/rest/videos/urn%3Ali%3Avideo%3AC5522" {
				t.Errorf("path %s", got)
			}
			if c.Header.Get("LinkedIn-Version") != "202610" || c.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
				t.Errorf("headers %v", c.Header)
			}
		}},
		{"custom action keeps encoded URNs and adds the version", "customAction", `{"method":"POST","path":"/rest/posts/urn%3Ali%3Ashare%3A1","queryParams":{"a":"b c"},"headers":{"X-Custom":"1"},"body":"raw text"}`, func(t *testing.T, c *plugin.Call) {
			if got := c.URL.String(); got != "https://api.linkedin.com/rest/posts/urn%3Ali%3Ashare%3A1?a=b+c" {
				t.Errorf("url %s", got)
			}
			if c.Header.Get("LinkedIn-Version") != "202610" || c.Header.Get("X-Custom") != "1" || string(c.Body) != "raw text" {
				t.Errorf("call %+v", c)
			}
		}},
		{"upload takes a data URL's type", "uploadMedia", `{"uploadUrl":"https://www.linkedin.com/dms-uploads/x","data":"data:image/jpeg;base64,/9j/4AAQ"}`, func(t *testing.T, c *plugin.Call) {
			if c.Method != http.MethodPut || c.Header.Get("Content-Type") != "image/jpeg" || len(c.Body) != 6 {
				t.Errorf("call %s %v %d bytes", c.Method, c.Header, len(c.Body))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, problems := run(t, tt.command, tt.params)
			if problems != nil {
				if tt.check == nil {
					return // a refusal is what a malformed id deserves
				}
				t.Fatalf("refused: %v", problems)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestEncodeURN(t *testing.T) {
	for in, want := range map[string]string{
		"urn:li:image:C5522":      "urn%3Ali%3Aimage%3AC5522",
		"urn:li:share:(a,b)":      "urn%3Ali%3Ashare%3A%28a%2Cb%29",
		"urn:li:x:it's/a space~.": "urn%3Ali%3Ax%3Ait%27s%2Fa%20space~.",
	} {
		if got := linkedin.EncodeURN(in); got != want {
			t.Errorf("EncodeURN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVersionIsLastMonth(t *testing.T) {
	for now, want := range map[string]string{"2026-11-29": "202610", "2027-01-01": "202612"} {
		d, _ := time.Parse("2006-01-02", now)
		if got := linkedin.VersionFor(d); got != want {
			t.Errorf("VersionFor(%s) = %s, want %s", now, got, want)
		}
	}
}

// TestFormsAreComplete checks what a builder's renderer relies on: titles,
// descriptions, examples, and a uiSchema order naming every field.
func TestFormsAreComplete(t *testing.T) {
	p := linkedin.Plugin()
	forms := map[string]plugin.Form{"datasource": p.Datasource}
	for _, c := range p.Commands {
		if c.Title == "" || c.Description == "" || c.Build == nil {
			t.Errorf("%s lacks a title, description or builder", c.ID)
		}
		forms[c.ID] = c.Form
	}
	for name, f := range forms {
		var schema struct {
			Properties map[string]struct {
				Title    string `json:"title"`
				Examples []any  `json:"examples"`
			} `json:"properties"`
		}
		var ui struct {
			Order []string `json:"ui:order"`
		}
		if err := json.Unmarshal(f.Schema, &schema); err != nil {
			t.Fatalf("%s schema: %v", name, err)
		}
		if err := json.Unmarshal(f.UISchema, &ui); err != nil {
			t.Fatalf("%s uiSchema: %v", name, err)
		}
		if len(f.Examples) == 0 {
			t.Errorf("%s has no example", name)
		}
		if len(ui.Order) != len(schema.Properties) {
			t.Errorf("%s: ui:order %v does not list the %d properties", name, ui.Order, len(schema.Properties))
		}
		for field, prop := range schema.Properties {
			if prop.Title == "" {
				t.Errorf("%s.%s has no title", name, field)
			}
			if len(prop.Examples) == 0 && field != "body" && field != "clientSecret" {
				t.Errorf("%s.%s has no example", name, field)
			}
		}
	}
}

// TestWrongTypesReadAsWords: every property of every command's example,
// given a value of each other JSON kind, is refused naming a field, in
// words a builder reads: never Go's type names or the decoder's own text.
func TestWrongTypesReadAsWords(t *testing.T) {
	for _, cmd := range linkedin.Plugin().Commands {
		for _, ex := range cmd.Form.Examples {
			var params map[string]json.RawMessage
			if json.Unmarshal(ex.Params, &params) != nil {
				continue
			}
			for name := range params {
				for _, wrong := range []string{`1`, `"x"`, `{}`, `[]`, `true`, `[{}]`, `{"a":1}`} {
					changed := maps.Clone(params)
					changed[name] = json.RawMessage(wrong)
					raw, _ := json.Marshal(changed)
					_, problems := run(t, cmd.ID, string(raw))
					for _, p := range problems {
						if strings.Contains(p.Message, "Go ") || strings.Contains(p.Message, "json:") || strings.Contains(p.Message, "linkedin.") {
							t.Errorf("%s with %s = %s: %s: %s", cmd.ID, name, wrong, p.Field, p.Message)
						}
					}
				}
			}
			break // one example each: the properties are the form's
		}
	}
	// The media list may come as a string holding JSON, which no schema
	// checks before it is decoded.
	for _, media := range []string{`"[{\"media\":1}]"`, `"[{\"media\":\"urn:li:digitalmediaAsset:C5\",\"colour\":1}]"`, `"{}"`, `"[1]"`} {
		_, problems := run(t, "createPostWithMedia", `{"author":"person:1",`+post+`,"mediaCategory":"IMAGE","media":`+media+`}`)
		if len(problems) == 0 {
			t.Errorf("media %s: accepted", media)
		}
		for _, p := range problems {
			if strings.Contains(p.Message, "Go ") || strings.Contains(p.Message, "json:") || strings.Contains(p.Message, "linkedin.") {
				t.Errorf("media %s: %s: %s", media, p.Field, p.Message)
			}
		}
	}
}
