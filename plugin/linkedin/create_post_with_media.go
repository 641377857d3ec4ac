package linkedin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"pluginserver/plugin"
)

var createPostWithMedia = &plugin.Command{
	ID:          "createPostWithMedia",
	Title:       "Create Post With Media",
	Description: "Share a post with images, a video or an article link. Register and upload the media first; each entry names its asset URN (or, for ARTICLE, its URL).",
	Endpoints:   []string{"POST /v2/ugcPosts"},
	Form: form([]field{authorField, lifecycleField, textField, visibilityField,
		{name: "mediaCategory", required: true, schema: `{"type":"string","title":"Media category","description":"What the media entries are.","default":"IMAGE","examples":["IMAGE"],
			"oneOf":[{"const":"IMAGE","title":"Image"},{"const":"VIDEO","title":"Video"},{"const":"ARTICLE","title":"Article link"}]}`},
		{name: "media", required: true, schema: `{"type":"array","title":"Media",
			"description":"Up to 20 entries: for IMAGE or VIDEO each names its asset URN (from Register Media Upload), for ARTICLE its URL. API callers may also send a string holding the JSON array, and LinkedIn's {\"text\": ...} for a title or description.",
			"minItems":1,"maxItems":20,
			"examples":[[{"media":"urn:li:digitalmediaAsset:C5422AQEbc381YmIuvg","title":"Our new office","description":"Opening day"}]],
			"items":{"type":"object","title":"Media entry","additionalProperties":false,"properties":{
				"media":{"type":"string","title":"Media (asset URN)","description":"For IMAGE or VIDEO: the asset of Register Media Upload.","examples":["urn:li:digitalmediaAsset:C5422AQEbc381YmIuvg"],
					"pattern":"^urn:li:(digitalmediaAsset|image|video|document):[A-Za-z0-9_-]+$","errorMessage":"must be an asset URN such as urn:li:digitalmediaAsset:C5422AQEbc381YmIuvg"},
				"originalUrl":{"type":"string","title":"Article URL","description":"For ARTICLE: the page the post links to.","examples":["https://blog.example.com/launch"],
					"pattern":"^https?://[^\\s/?#]+[^\\s]*$","errorMessage":"must be an http(s) URL"},
				"title":{"type":"string","title":"Title","examples":["Our new office"]},
				"description":{"type":"string","title":"Description","examples":["Opening day"]},
				"status":{"type":"string","title":"Status","description":"READY, the only status LinkedIn takes here.","default":"READY","oneOf":[{"const":"READY","title":"Ready"}]}}}}`,
			ui: `{"items":{"ui:order":["media","originalUrl","title","description","status"],"description":{"ui:widget":"textarea","ui:options":{"rows":2}},"status":{"ui:widget":"hidden"}}}`},
	},
		answered("An image post", `{"author":"person:123456789","lifecycleState":"PUBLISHED","text":"Our new office","visibility":"PUBLIC","mediaCategory":"IMAGE","media":[{"media":"urn:li:digitalmediaAsset:C5422AQEbc381YmIuvg","title":"Our new office","description":"Opening day"}]}`,
			201, map[string]string{"x-restli-id": "urn:li:share:6844785523593134081"}, `{"id":"urn:li:share:6844785523593134081"}`),
		example("An article given as a JSON string", `{"author":"organization:2414183","lifecycleState":"PUBLISHED","text":"Read our launch notes","visibility":"PUBLIC","mediaCategory":"ARTICLE","media":"[{\"originalUrl\":\"https://blog.example.com/launch\",\"title\":\"Launch notes\"}]"}`)),
	Normalize: normalize(map[string]func(json.RawMessage) (json.RawMessage, error){"media": normalizeMedia}),
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[struct {
			postParams
			MediaCategory string          `json:"mediaCategory"`
			Media         json.RawMessage `json:"media"`
		}](raw)
		if err != nil {
			return nil, err
		}
		media, err := parseMedia(p.Media, p.MediaCategory)
		if err != nil {
			return nil, err
		}
		body, err := p.ugcPost(p.MediaCategory, media)
		if err != nil {
			return nil, err
		}
		return apiCall(s, "POST", "/v2/ugcPosts", nil, body)
	},
	Map: createdID,
}

// mediaEntry is one element of ShareContent.media as LinkedIn takes it.
type mediaEntry struct {
	Status      string     `json:"status"`
	Media       string     `json:"media,omitempty"`
	OriginalURL string     `json:"originalUrl,omitempty"`
	Title       *mediaText `json:"title,omitempty"`
	Description *mediaText `json:"description,omitempty"`
}

// mediaText accepts "text" or LinkedIn's {"text":"..."}.
type mediaText struct {
	Text string `json:"text"`
}

func (t *mediaText) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &t.Text)
	}
	type plain mediaText
	return json.Unmarshal(b, (*plain)(t))
}

var (
	assetURN   = regexp.MustCompile(`^urn:li:(digitalmediaAsset|image|video|document):[A-Za-z0-9_-]+$`)
	articleURL = regexp.MustCompile(`^https?://[^\s/?#]+[^\s]*$`)
)

// normalizeMedia turns the media param into the array of entries the form
// declares: a string holding the JSON array (as the Appsmith reference
// writes it) becomes the array, and LinkedIn's {"text": ...} for a title or
// description becomes its text.
func normalizeMedia(raw json.RawMessage) (json.RawMessage, error) {
	changed := false
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, plugin.InvalidField("media", "is not a string")
		}
		var entries []json.RawMessage
		if err := json.Unmarshal([]byte(s), &entries); err != nil {
			return nil, plugin.InvalidField("media", "is a string that holds no JSON array of media entries (%s)", plugin.JSONError("media", err).Fields[0].Message)
		}
		raw, changed = json.RawMessage(s), true
	}
	var entries []map[string]json.RawMessage
	if json.Unmarshal(raw, &entries) != nil {
		return raw, nil // not an array of objects: the form says what is wrong
	}
	for _, e := range entries {
		for _, name := range []string{"title", "description"} {
			var text map[string]json.RawMessage
			if v, ok := e[name]; ok && json.Unmarshal(v, &text) == nil && len(text) == 1 {
				if t := text["text"]; len(t) > 0 && t[0] == '"' {
					e[name], changed = t, true
				}
			}
		}
	}
	if !changed {
		return raw, nil
	}
	return marshalJSON(entries)
}

// parseMedia reads the media param (an array or a string holding one) and
// checks each entry against the category.
func parseMedia(raw json.RawMessage, category string) ([]mediaEntry, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, plugin.InvalidField("media", "is not a string")
		}
		raw = json.RawMessage(s)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var entries []mediaEntry
	if err := dec.Decode(&entries); err != nil {
		return nil, plugin.JSONError("media", err)
	}
	if len(entries) == 0 {
		return nil, plugin.InvalidField("media", "must have at least 1 entry")
	}
	var problems []plugin.FieldProblem
	bad := func(i int, name, msg string) {
		problems = append(problems, plugin.FieldProblem{Field: fmt.Sprintf("media.%d.%s", i, name), Message: msg})
	}
	for i := range entries {
		e := &entries[i]
		if e.Status == "" {
			e.Status = "READY"
		} else if e.Status != "READY" {
			bad(i, "status", "must be READY")
		}
		if category == "ARTICLE" {
			if !articleURL.MatchString(e.OriginalURL) {
				bad(i, "originalUrl", "must be an http(s) URL for an ARTICLE")
			}
			if e.Media != "" {
				bad(i, "media", "is not used for an ARTICLE; give originalUrl")
			}
			continue
		}
		if !assetURN.MatchString(e.Media) {
			bad(i, "media", "must be an asset URN such as urn:li:digitalmediaAsset:C5422AQEbc381YmIuvg")
		}
		if e.OriginalURL != "" {
			bad(i, "originalUrl", "is only for an ARTICLE")
		}
	}
	if problems != nil {
		return nil, plugin.InvalidFields(problems)
	}
	return entries, nil
}
