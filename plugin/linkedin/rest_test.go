package linkedin_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"pluginserver/internal/catalog"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// Bad input to the content API's commands: invalid_input naming the field,
// and nothing built.
func TestContentAPIBadInput(t *testing.T) {
	tests := []struct {
		name, command, params, field, message string
	}{
		{"a person where a post goes", "getPost", `{"post":"urn:li:person:1"}`, "post", `must be share:ID, ugcPost:ID or urn:li:share:ID, urn:li:ugcPost:ID`},
		{"a post where an author goes", "sharePost", `{"author":"share:1","commentary":"hi"}`, "author", ""},
		{"poll with one option", "sharePost", `{"author":"person:1","commentary":"hi","poll":{"question":"Q?","options":["Only"]}}`, "poll.options", ""},
		{"poll with five options", "sharePost", `{"author":"person:1","commentary":"hi","poll":{"question":"Q?","options":["a","b","c","d","e"]}}`, "poll.options", ""},
		{"multi-image with one image", "sharePost", `{"author":"person:1","commentary":"hi","multiImage":{"images":[{"id":"image:1"}]}}`, "multiImage.images", ""},
		{"multi-image with a video", "sharePost", `{"author":"person:1","commentary":"hi","multiImage":{"images":[{"id":"image:1"},{"id":"video:2"}]}}`, "multiImage.images.1.id", ""},
		{"two contents", "sharePost", `{"author":"person:1","commentary":"hi","media":{"id":"image:1"},"poll":{"question":"Q?","options":["a","b"]}}`, "poll", "cannot go with media: a post carries one content at most"},
		{"media of a person", "sharePost", `{"author":"person:1","media":{"id":"person:1"}}`, "media.id", ""},
		{"nothing to post", "sharePost", `{"author":"person:1"}`, "commentary", "is required for a post without content"},
		{"commentary over the limit", "sharePost", `{"author":"person:1","commentary":"` + strings.Repeat("(", 3001) + `"}`, "commentary", ""},
		{"a mention not in the text", "sharePost", `{"author":"person:1","commentary":"hi","mentions":[{"name":"Jane","urn":"person:2"}]}`, "mentions", ""},
		{"a mention of a post", "sharePost", `{"author":"person:1","commentary":"hi @Jane","mentions":[{"name":"Jane","urn":"share:2"}]}`, "mentions.0.urn", ""},
		{"mentions with little text", "sharePost", `{"author":"person:1","commentary":"hi @Jane","textFormat":"little","mentions":[{"name":"Jane","urn":"person:2"}]}`, "mentions", ""},
		{"visibility in the wrong case", "sharePost", `{"author":"person:1","commentary":"hi","visibility":"public"}`, "visibility", ""},
		{"reaction in the wrong case", "addReaction", `{"post":"share:1","actor":"person:1","reactionType":"like"}`, "reactionType", ""},
		{"nothing to update", "updatePost", `{"post":"share:1"}`, "params", ""},
		{"a comment id that is not one", "deleteComment", `{"post":"share:1","actor":"person:1","comment":"../x"}`, "comment", ""},
		{"empty comment", "addComment", `{"post":"share:1","actor":"person:1","text":" "}`, "text", "must not be empty"},
		{"count over 100", "listPosts", `{"author":"person:1","count":101}`, "count", ""},
		{"image of another type", "uploadImage", `{"owner":"person:1","data":"data:application/pdf;base64,JVBERi0xLjQK"}`, "data", ""},
		{"document of another type", "uploadDocument", `{"owner":"person:1","data":"data:image/png;base64,iVBORw0KGgo="}`, "data", ""},
		{"owner of another kind", "uploadDocument", `{"owner":"image:1","data":"data:application/pdf;base64,JVBERi0xLjQK"}`, "owner", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { refused(t, tt.command, tt.params, tt.field, tt.message) })
	}
}

func TestContentAPIBuildRules(t *testing.T) {
	body := func(t *testing.T, c *plugin.Call) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(c.Body, &m); err != nil {
			t.Fatalf("body %s: %v", c.Body, err)
		}
		return m
	}
	tests := []struct {
		name, command, params string
		check                 func(t *testing.T, c *plugin.Call)
	}{
		{"plain text is escaped, hashtags and links stay", "sharePost", `{"author":"person:1","commentary":"Hi (all) #launch https://x.test/a_b"}`, func(t *testing.T, c *plugin.Call) {
			if got := body(t, c)["commentary"]; got != `Hi \(all\) #launch https://x.test/a_b` {
				t.Errorf("commentary %q", got)
			}
		}},
		{"little text goes untouched", "sharePost", `{"author":"person:1","commentary":"Hi (all)","textFormat":"little"}`, func(t *testing.T, c *plugin.Call) {
			if got := body(t, c)["commentary"]; got != `Hi (all)` {
				t.Errorf("commentary %q", got)
			}
		}},
		{"a mention becomes little text", "sharePost", `{"author":"organization:2","commentary":"Welcome @Jane Doe!","mentions":[{"name":"Jane Doe","urn":"person:7"}]}`, func(t *testing.T, c *plugin.Call) {
			if got := body(t, c)["commentary"]; got != `Welcome @[Jane Doe](urn:li:person:7)!` {
				t.Errorf("commentary %q", got)
			}
		}},
		{"defaults", "sharePost", `{"author":"person:1","commentary":"hi"}`, func(t *testing.T, c *plugin.Call) {
			want := `{"author":"urn:li:person:1","commentary":"hi","visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]},"lifecycleState":"PUBLISHED","isReshareDisabledByAuthor":false}`
			if string(c.Body) != want || c.URL.Path != "/rest/posts" || c.Header.Get("LinkedIn-Version") != "202610" {
				t.Errorf("%s %s\n%s", c.URL, c.Header, c.Body)
			}
		}},
		{"a reshare", "sharePost", `{"author":"person:1","reshareOf":"ugcPost:9"}`, func(t *testing.T, c *plugin.Call) {
			if !strings.Contains(string(c.Body), `"reshareContext":{"parent":"urn:li:ugcPost:9"}`) || strings.Contains(string(c.Body), `"content"`) {
				t.Errorf("body %s", c.Body)
			}
		}},
		{"post URN encoded in the path", "deletePost", `{"post":"share:6844785523593134080"}`, func(t *testing.T, c *plugin.Call) {
			if c.Method != "DELETE" || c.URL.EscapedPath() != "/rest/posts/urn%3Ali%3Ashare%3A6844785523593134080" {
				t.Errorf("%s %s", c.Method, c.URL.EscapedPath())
			}
		}},
		{"partial update", "updatePost", `{"post":"share:1","commentary":"a_b"}`, func(t *testing.T, c *plugin.Call) {
			if c.Header.Get("X-RestLi-Method") != "PARTIAL_UPDATE" || string(c.Body) != `{"patch":{"$set":{"commentary":"a\\_b"}}}` {
				t.Errorf("%v %s", c.Header, c.Body)
			}
		}},
		{"list by author", "listPosts", `{"author":"organization:2414183","count":5}`, func(t *testing.T, c *plugin.Call) {
			if c.URL.RawQuery != "author=urn%3Ali%3Aorganization%3A2414183&count=5&q=author&start=0" {
				t.Errorf("query %s", c.URL.RawQuery)
			}
		}},
		{"reaction key", "removeReaction", `{"post":"share:1","actor":"person:2"}`, func(t *testing.T, c *plugin.Call) {
			if got := c.URL.EscapedPath(); got != "/rest/reactions/(actor:urn%3Ali%3Aperson%3A2,entity:urn%3Ali%3Ashare%3A1)" {
				t.Errorf("path %s", got)
			}
		}},
		{"comment from its URN", "deleteComment", `{"post":"share:1","actor":"person:2","comment":"urn:li:comment:(urn:li:share:1,77)"}`, func(t *testing.T, c *plugin.Call) {
			if c.URL.EscapedPath() != "/rest/socialActions/urn%3Ali%3Ashare%3A1/comments/77" || c.URL.RawQuery != "actor=urn%3Ali%3Aperson%3A2" {
				t.Errorf("%s", c.URL)
			}
		}},
		{"upload initializes with the owner", "uploadDocument", `{"owner":"organization:2414183","data":"data:application/pdf;base64,JVBERi0xLjQK"}`, func(t *testing.T, c *plugin.Call) {
			if c.URL.Path != "/rest/documents" || c.URL.RawQuery != "action=initializeUpload" || string(c.Body) != `{"initializeUploadRequest":{"owner":"urn:li:organization:2414183"}}` {
				t.Errorf("%s %s", c.URL, c.Body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, problems := run(t, tt.command, tt.params)
			if problems != nil {
				t.Fatalf("refused: %v", problems)
			}
			tt.check(t, c)
		})
	}
}

// The author fields name their options source, so a builder's form
// offers the member and their pages.
func TestAuthorFieldsNameTheirOptions(t *testing.T) {
	cat, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	for command, field := range map[string]string{"sharePost": "author", "addComment": "actor", "uploadImage": "owner"} {
		cmd, _, _ := cat.Command("linkedin", command)
		if cmd.Form.Options[field] == nil || !strings.Contains(string(cmd.Form.Schema), `"x-options":"authors"`) {
			t.Errorf("%s.%s names no options source", command, field)
		}
	}
}

// LinkedIn's 403 to a call acting as a page says which page and which role.
func TestPageRefusalNamesThePage(t *testing.T) {
	call, problems := run(t, "addReaction", `{"post":"share:1","actor":"organization:2414183","reactionType":"LIKE"}`)
	if problems != nil {
		t.Fatal(problems)
	}
	refused := &plugin.Response{Status: 403, Call: call,
		Body: []byte(`{"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough permissions to access: partnerApiReactions.CREATE.20261101","status":403}`)}
	why := linkedin.Plugin().Explain(refused)
	if !strings.Contains(why, "urn:li:organization:2414183") || !strings.Contains(why, "ADMINISTRATOR or CONTENT_ADMINISTRATOR") || !strings.Contains(why, "w_organization_social") {
		t.Errorf("explain: %s", why)
	}
	// A page's statistics ask for its administrators and
	// rw_organization_admin, not a role that may post.
	refused.Call, problems = run(t, "getFollowerStatistics", `{"organization":"organization:2414183"}`)
	if problems != nil {
		t.Fatal(problems)
	}
	if why := linkedin.Plugin().Explain(refused); !strings.Contains(why, "urn:li:organization:2414183") || !strings.Contains(why, "(ADMINISTRATOR)") ||
		!strings.Contains(why, "rw_organization_admin") || strings.Contains(why, "CONTENT_ADMINISTRATOR") || strings.Contains(why, "w_organization_social") {
		t.Errorf("explain, statistics: %s", why)
	}
	refused.Call, _ = run(t, "addReaction", `{"post":"share:1","actor":"person:1","reactionType":"LIKE"}`)
	if why := linkedin.Plugin().Explain(refused); strings.Contains(why, "page") {
		t.Errorf("a member's refusal names a page: %s", why)
	}
}

// A create's output is LinkedIn's body with the id of its X-RestLi-Id
// header, as JSON, whatever body came with it.
func TestCreatedID(t *testing.T) {
	c, _ := linkedin.Plugin().Command("createPost")
	tests := []struct {
		name, header, body, want string
	}{
		{"no body", "urn:li:share:1", ``, `{"id":"urn:li:share:1"}`},
		{"null", "urn:li:share:1", `null`, `{"id":"urn:li:share:1"}`},
		{"an empty object", "urn:li:share:1", ` { } `, `{"id":"urn:li:share:1"}`},
		{"an object without id", "urn:li:share:1", `{"a":1, "b":[2]}`, `{"id":"urn:li:share:1","a":1, "b":[2]}`},
		{"an object with its own id", "urn:li:share:1", `{"id":"urn:li:share:2"}`, `{"id":"urn:li:share:2"}`},
		{"a header to quote", `urn:li:share:"1"`, ``, `{"id":"urn:li:share:\"1\""}`},
		{"no header", "", `{"a":1}`, `{"a":1}`},
		{"not JSON", "urn:li:share:1", `<html>`, `<html>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("X-RestLi-Id", tc.header)
			}
			got := c.Map(&plugin.Response{Status: 201, Header: h, Body: []byte(tc.body)})
			if string(got) != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if tc.name != "not JSON" && !json.Valid(got) {
				t.Fatalf("not JSON: %s", got)
			}
		})
	}
}
