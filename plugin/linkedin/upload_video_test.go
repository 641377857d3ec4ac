package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"pluginserver/plugin"
)

// TestVideoPartsGoOnlyToUploadURLs: a part goes only to an upload URL of
// LinkedIn's shape; an upload plan that names anything else stops the
// upload before the token goes there, as LinkedIn's failure, since the
// caller never chose the URL.
func TestVideoPartsGoOnlyToUploadURLs(t *testing.T) {
	tests := []struct {
		name, partURL string
		problem       string // "" when the part is sent
	}{
		{"Videos API part", "https://www.linkedin.com/dms-uploads/C5505AQH-oV1qvnFtKA/uploadedVideo?sau=aHR0cHM6Ly93d3c", ""},
		{"Assets API shape", "https://api.linkedin.com/mediaUpload/C5F10AQ/uploadedVideo/0", ""},
		{"an API route", "https://api.linkedin.com/v2/userinfo", "LinkedIn's upload plan points part 1 elsewhere: its uploadUrl " + shape},
		{"the token endpoint", "https://www.linkedin.com/oauth/v2/accessToken", "LinkedIn's upload plan points part 1 elsewhere: its uploadUrl " + shape},
		{"climbing out", "https://www.linkedin.com/dms-uploads/../oauth/v2/revoke", "LinkedIn's upload plan points part 1 elsewhere: its uploadUrl " + segments},
		{"encoded climb", "https://www.linkedin.com/dms-uploads/%2e%2e/oauth/v2/revoke", "LinkedIn's upload plan points part 1 elsewhere: its uploadUrl " + pathChars},
		{"another host", "https://evil.test/dms-uploads/x", "LinkedIn's upload plan points part 1 elsewhere: its uploadUrl " + otherHost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent []string
			send := func(_ context.Context, c *plugin.Call) (*plugin.Response, error) {
				sent = append(sent, c.Method+" "+c.URL.String())
				switch {
				case strings.Contains(c.URL.RawQuery, "initializeUpload"):
					plan, _ := json.Marshal(map[string]any{"value": map[string]any{"video": "urn:li:video:C5F10AQ", "uploadToken": "",
						"uploadInstructions": []map[string]any{{"uploadUrl": tt.partURL, "firstByte": 0, "lastByte": 4}}}})
					return &plugin.Response{Status: 200, Header: http.Header{}, Body: plan}, nil
				case c.Method == http.MethodPut:
					return &plugin.Response{Status: 200, Header: http.Header{"Etag": {"/part-1"}}}, nil
				}
				return &plugin.Response{Status: 200, Header: http.Header{}}, nil
			}
			file := &plugin.File{Body: strings.NewReader("video"), Length: 5, ContentType: "video/mp4"}
			_, err := runVideoUpload(context.Background(), json.RawMessage(`{"author":"person:782bbtaQ"}`), production, file, send, func(int64, int64) {})
			if tt.problem == "" {
				if err != nil || len(sent) != 3 || sent[1] != "PUT "+tt.partURL {
					t.Fatalf("%v, sent %v", err, sent)
				}
				return
			}
			e := plugin.AsError(err)
			if e.Code != plugin.UpstreamUnavailable || !strings.HasPrefix(e.Message, tt.problem) {
				t.Fatalf("%v, want upstream_unavailable: %s…", err, tt.problem)
			}
			if len(sent) != 1 {
				t.Fatalf("sent %v after the plan was refused", sent)
			}
		})
	}
}
