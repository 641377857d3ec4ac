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
	"strconv"
	"strings"

	"pluginserver/plugin"
)

var sharePost = &plugin.Command{
	ID:          "sharePost",
	Title:       "Share Post",
	Description: "Post as the member or a page they administer with LinkedIn's Posts API: text, an article, an image, video or document, several images, a poll, or a reshare. The text reads exactly as typed. The new post's URN is output.id.",
	Endpoints:   []string{"POST /rest/posts"},
	Form: contentChoice(form(sharePostFields,
		answered("A text post with a hashtag", `{"author":"person:782bbtaQ","commentary":"Hello World! (our first post) #launch"}`,
			201, map[string]string{"x-restli-id": "urn:li:share:6844785523593134080"}, `{"id":"urn:li:share:6844785523593134080"}`),
		answered("A page's post mentioning a member", `{"author":"organization:2414183","commentary":"Welcome @Jane Doe to the team","mentions":[{"name":"Jane Doe","urn":"person:8675309"}],"visibility":"PUBLIC"}`,
			201, map[string]string{"x-restli-id": "urn:li:share:6844785523593134081"}, `{"id":"urn:li:share:6844785523593134081"}`),
		answered("A document carousel", `{"author":"person:782bbtaQ","commentary":"Our Q3 report","media":{"id":"document:D5510AQH1","title":"Q3 report"}}`,
			201, map[string]string{"x-restli-id": "urn:li:share:6844785523593134082"}, `{"id":"urn:li:share:6844785523593134082"}`),
		answered("Several images", `{"author":"person:782bbtaQ","commentary":"Launch day","multiImage":{"images":[{"id":"image:C4E10AQ1","altText":"The stage"},{"id":"image:C4E10AQ2","altText":"The crowd"}]}}`,
			201, map[string]string{"x-restli-id": "urn:li:share:6844785523593134083"}, `{"id":"urn:li:share:6844785523593134083"}`),
		answered("A poll", `{"author":"person:782bbtaQ","commentary":"Settle this for us","poll":{"question":"Tabs or spaces?","options":["Tabs","Spaces"],"duration":"THREE_DAYS"}}`,
			201, map[string]string{"x-restli-id": "urn:li:share:6844785523593134084"}, `{"id":"urn:li:share:6844785523593134084"}`),
		answered("An article", `{"author":"person:782bbtaQ","commentary":"Read about our launch","article":{"source":"https://example.com/launch","title":"We launched","description":"What we built and why"}}`,
			201, map[string]string{"x-restli-id": "urn:li:share:6844785523593134085"}, `{"id":"urn:li:share:6844785523593134085"}`),
		answered("A reshare", `{"author":"person:782bbtaQ","commentary":"Worth a read","reshareOf":"share:6844785523593134080"}`,
			201, map[string]string{"x-restli-id": "urn:li:share:6844785523593134086"}, `{"id":"urn:li:share:6844785523593134086"}`),
	)),
	Normalize: normalizeSharePost,
	Build: func(ctx context.Context, raw json.RawMessage, s plugin.Settings) (*plugin.Call, error) {
		p, err := decode[sharePostParams](raw)
		if err != nil {
			return nil, err
		}
		body, err := p.post()
		if err != nil {
			return nil, err
		}
		return apiCall(s, http.MethodPost, "/rest/posts", nil, body)
	},
	Map: createdID,
}

type sharePostParams struct {
	textParams
	Author                    string      `json:"author"`
	Commentary                string      `json:"commentary"`
	Visibility                string      `json:"visibility"`
	LifecycleState            string      `json:"lifecycleState"`
	FeedDistribution          string      `json:"feedDistribution"`
	IsReshareDisabledByAuthor bool        `json:"isReshareDisabledByAuthor"`
	Article                   *article    `json:"article"`
	Media                     *media      `json:"media"`
	MultiImage                *multiImage `json:"multiImage"`
	Poll                      *struct {
		Question string   `json:"question"`
		Options  []string `json:"options"`
		Duration string   `json:"duration"`
	} `json:"poll"`
	ReshareOf string `json:"reshareOf"`
}

type article struct {
	Source      string `json:"source"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Thumbnail   string `json:"thumbnail,omitempty"`
}

type media struct {
	ID      string `json:"id"`
	Title   string `json:"title,omitempty"`
	AltText string `json:"altText,omitempty"`
}

type multiImage struct {
	Images []media `json:"images"`
}

type pollOption struct {
	Text string `json:"text"`
}

type poll struct {
	Question string       `json:"question"`
	Options  []pollOption `json:"options"`
	Settings struct {
		Duration string `json:"duration"`
	} `json:"settings"`
}

type postContent struct {
	Article    *article    `json:"article,omitempty"`
	Media      *media      `json:"media,omitempty"`
	MultiImage *multiImage `json:"multiImage,omitempty"`
	Poll       *poll       `json:"poll,omitempty"`
}

// restPost is the body of POST /rest/posts, in LinkedIn's documented order.
type restPost struct {
	Author       string `json:"author"`
	Commentary   string `json:"commentary"`
	Visibility   string `json:"visibility"`
	Distribution struct {
		FeedDistribution               string   `json:"feedDistribution"`
		TargetEntities                 []string `json:"targetEntities"`
		ThirdPartyDistributionChannels []string `json:"thirdPartyDistributionChannels"`
	} `json:"distribution"`
	Content                   *postContent `json:"content,omitempty"`
	LifecycleState            string       `json:"lifecycleState"`
	IsReshareDisabledByAuthor bool         `json:"isReshareDisabledByAuthor"`
	ReshareContext            *struct {
		Parent string `json:"parent"`
	} `json:"reshareContext,omitempty"`
}

func (p sharePostParams) post() (*restPost, error) {
	author, err := urnParam("author", p.Author, authorKinds...)
	if err != nil {
		return nil, err
	}
	commentary, err := p.little("commentary", p.Commentary, 3000)
	if err != nil {
		return nil, err
	}
	post := &restPost{Author: author, Commentary: commentary, Visibility: cmp.Or(p.Visibility, "PUBLIC"),
		LifecycleState: cmp.Or(p.LifecycleState, "PUBLISHED"), IsReshareDisabledByAuthor: p.IsReshareDisabledByAuthor}
	post.Distribution.FeedDistribution = cmp.Or(p.FeedDistribution, "MAIN_FEED")
	post.Distribution.TargetEntities, post.Distribution.ThirdPartyDistributionChannels = []string{}, []string{}
	if err := p.content(post); err != nil {
		return nil, err
	}
	if post.Commentary == "" && post.Content == nil && post.ReshareContext == nil {
		return nil, plugin.InvalidField("commentary", "is required for a post without content")
	}
	return post, nil
}

// content sets the one content the params name; two are refused, naming
// both.
func (p sharePostParams) content(post *restPost) error {
	var named []string
	for _, c := range []struct {
		name  string
		given bool
	}{{"article", p.Article != nil}, {"media", p.Media != nil}, {"multiImage", p.MultiImage != nil}, {"poll", p.Poll != nil}, {"reshareOf", p.ReshareOf != ""}} {
		if c.given {
			named = append(named, c.name)
		}
	}
	if len(named) > 1 {
		return plugin.InvalidField(named[1], "cannot go with %s: a post carries one content at most", named[0])
	}
	if len(named) == 0 {
		return nil
	}
	post.Content = &postContent{}
	var err error
	switch named[0] {
	case "article":
		a := *p.Article
		if _, perr := url.ParseRequestURI(a.Source); perr != nil {
			return plugin.InvalidField("article.source", "must be an http(s) URL")
		}
		if a.Thumbnail != "" {
			a.Thumbnail, err = urnParam("article.thumbnail", a.Thumbnail, imageKinds...)
		}
		post.Content.Article = &a
	case "media":
		m := *p.Media
		m.ID, err = urnParam("media.id", m.ID, mediaKinds...)
		post.Content.Media = &m
	case "multiImage":
		images := make([]media, len(p.MultiImage.Images))
		for i, img := range p.MultiImage.Images {
			if images[i].ID, err = urnParam("multiImage.images."+strconv.Itoa(i)+".id", img.ID, imageKinds...); err != nil {
				return err
			}
			images[i].AltText = img.AltText
		}
		if len(images) < 2 || len(images) > 20 {
			return plugin.InvalidField("multiImage.images", "must hold 2 to 20 images; for one, use media")
		}
		post.Content.MultiImage = &multiImage{Images: images}
	case "poll":
		if n := len(p.Poll.Options); n < 2 || n > 4 {
			return plugin.InvalidField("poll.options", "must hold 2 to 4 options")
		}
		q := &poll{Question: p.Poll.Question}
		for _, o := range p.Poll.Options {
			q.Options = append(q.Options, pollOption{Text: o})
		}
		q.Settings.Duration = cmp.Or(p.Poll.Duration, "THREE_DAYS")
		post.Content.Poll = q
	case "reshareOf":
		post.Content = nil
		parent, rerr := urnParam("reshareOf", p.ReshareOf, postKinds...)
		if rerr != nil {
			return rerr
		}
		post.ReshareContext = &struct {
			Parent string `json:"parent"`
		}{Parent: parent}
	}
	return err
}

// sharePostFields are the fields of every post, whatever its content.
var sharePostFields = []field{restAuthorField,
	{name: "commentary", schema: `{"type":"string","title":"Text","description":"What the post says, up to 3,000 characters. #hashtags and links stay as they are; see textFormat.","examples":["Hello World! (our first post) #launch"],"maxLength":3000}`,
		ui: `{"ui:widget":"textarea","ui:options":{"rows":5}}`},
	textFormatField, mentionsField,
	{name: "visibility", schema: `{"type":"string","title":"Visibility","description":"Who can see the post.","default":"PUBLIC","examples":["PUBLIC"],
			"oneOf":[{"const":"PUBLIC","title":"Anyone"},{"const":"CONNECTIONS","title":"Connections only"},{"const":"LOGGED_IN","title":"Signed-in members"}]}`},
	{name: "lifecycleState", schema: `{"type":"string","title":"Lifecycle state","description":"PUBLISHED posts now; DRAFT keeps it unpublished.","default":"PUBLISHED","examples":["PUBLISHED"],
			"oneOf":[{"const":"PUBLISHED","title":"Published"},{"const":"DRAFT","title":"Draft"}]}`},
	{name: "feedDistribution", schema: `{"type":"string","title":"Feed distribution","description":"MAIN_FEED shows the post in feeds; NONE only on the author's page (for ads).","default":"MAIN_FEED","examples":["MAIN_FEED"],
			"oneOf":[{"const":"MAIN_FEED","title":"Main feed"},{"const":"NONE","title":"Not in feeds"}]}`},
	{name: "isReshareDisabledByAuthor", schema: `{"type":"boolean","title":"Disable reshares","default":false,"examples":[false]}`},
}

// contentKind is one content a post may carry: one branch of the form's
// oneOf, which requires its own property.
type contentKind struct {
	name, title string
	schema      string
	ui          string
}

// postContents are the contents of sharePost, one at most, in the order the
// picker lists them after "Text only".
var postContents = []contentKind{
	{name: "article", title: "Article (a link)", schema: `{"type":"object","title":"Article","description":"A link preview.","additionalProperties":false,"required":["source"],
		"examples":[{"source":"https://example.com/launch","title":"We launched"}],"properties":{
		"source":{"type":"string","title":"URL","pattern":"^https?://","errorMessage":"must be an http(s) URL","maxLength":2000},
		"title":{"type":"string","title":"Title","maxLength":400},
		"description":{"type":"string","title":"Description","maxLength":4086},
		"thumbnail":` + urnSchema("Thumbnail", "An image uploaded with Upload Image.", "image:C4D10AQ", imageKinds...) + `}}`,
		ui: `{"ui:label":false}`},
	{name: "media", title: "Image, video or document", schema: `{"type":"object","title":"Media","description":"An image, video or document uploaded with Upload Image, Upload Video or Upload Document.","additionalProperties":false,"required":["id"],
		"examples":[{"id":"urn:li:image:C4E10AQFoyyAjHPMQuQ","altText":"Our team"}],"properties":{
		"id":` + urnSchema("Media", "image:ID, video:ID or document:ID, or its URN.", "urn:li:image:C4E10AQFoyyAjHPMQuQ", mediaKinds...) + `,
		"title":{"type":"string","title":"Title","description":"Shown for a document or video.","maxLength":400},
		"altText":{"type":"string","title":"Alt text","description":"Describes an image to those who cannot see it.","maxLength":4086}}}`,
		ui: `{"ui:label":false}`},
	{name: "multiImage", title: "Several images", schema: `{"type":"object","title":"Several images","additionalProperties":false,"required":["images"],
		"examples":[{"images":[{"id":"image:C4E10AQ1"},{"id":"image:C4E10AQ2"}]}],"properties":{
		"images":{"type":"array","title":"Images","minItems":2,"maxItems":20,"items":{"type":"object","title":"Image","additionalProperties":false,"required":["id"],"properties":{
			"id":` + urnSchema("Image", "image:ID or its URN.", "image:C4E10AQ1", imageKinds...) + `,
			"altText":{"type":"string","title":"Alt text","maxLength":4086}}}}}}`,
		ui: `{"ui:label":false,"images":{"items":{"ui:label":false}}}`},
	{name: "poll", title: "Poll", schema: `{"type":"object","title":"Poll","additionalProperties":false,"required":["question","options"],
		"examples":[{"question":"Tabs or spaces?","options":["Tabs","Spaces"],"duration":"THREE_DAYS"}],"properties":{
		"question":{"type":"string","title":"Question","minLength":1,"maxLength":140},
		"options":{"type":"array","title":"Options","minItems":2,"maxItems":4,"items":{"type":"string","title":"Option","minLength":1,"maxLength":30}},
		"duration":{"type":"string","title":"Open for","description":"How long members can vote. LinkedIn needs one of these four; three days unless you choose another.","default":"THREE_DAYS","oneOf":[{"const":"ONE_DAY","title":"One day"},{"const":"THREE_DAYS","title":"Three days"},{"const":"SEVEN_DAYS","title":"A week"},{"const":"FOURTEEN_DAYS","title":"Two weeks"}]}}}`,
		ui: `{"ui:label":false,"options":{"items":{"ui:label":false}}}`},
	{name: "reshareOf", title: "Reshare", schema: urnSchema("Reshare of", "A post to reshare, with the commentary as what the author adds.", "urn:li:share:6844785523593134080", postKinds...)},
}

// contentChoice adds the post's content to a form as one choice: a oneOf
// whose first branch, "Text only", carries none, and whose other branches
// each require their own property, so RJSF and Appsmith show a picker and
// only the chosen content's fields. The params keep their names (article,
// media, multiImage, poll, reshareOf), as callers send them. The content
// properties live in the branches, so the top level cannot refuse unknown
// fields with additionalProperties; normalizeSharePost refuses them.
func contentChoice(f plugin.Form) plugin.Form {
	var branches, uis []string
	var none []string
	for _, k := range postContents {
		none = append(none, fmt.Sprintf(`{"required":[%q]}`, k.name))
	}
	branches = append(branches, `{"title":"Text only","type":"object","properties":{},"not":{"anyOf":[`+strings.Join(none, ",")+`]}}`)
	uis = append(uis, `{"ui:label":false}`)
	for _, k := range postContents {
		branches = append(branches, fmt.Sprintf(`{"title":%q,"type":"object","properties":{%q:%s},"required":[%q]}`, k.title, k.name, k.schema, k.name))
		ui := `{"ui:label":false}`
		if k.ui != "" {
			ui = fmt.Sprintf(`{"ui:label":false,%q:%s}`, k.name, k.ui)
		}
		uis = append(uis, ui)
	}
	schema := strings.Replace(string(f.Schema), `"additionalProperties":false,`, "", 1)
	// The validator says errorMessage when no branch matches, next to the
	// field problems of the closest one.
	schema = strings.TrimSuffix(schema, "}") + `,"errorMessage":"carries one content at most, complete: see its fields","oneOf":[` + strings.Join(branches, ",") + `]}`
	ui := strings.TrimSuffix(string(f.UISchema), "}") + `,"ui:choiceTitle":"Content","ui:choiceDescription":"What the post carries besides its text: one content at most.","oneOf":[` + strings.Join(uis, ",") + `]}`
	f.Schema, f.UISchema = compactJSON(schema), compactJSON(ui)
	return f
}

func compactJSON(s string) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		panic("sharePost's form: " + err.Error())
	}
	return b.Bytes()
}

// sharePostNames are the params sharePost knows: its fields and contents.
var sharePostNames = func() map[string]bool {
	known := map[string]bool{}
	for _, f := range sharePostFields {
		known[f.name] = true
	}
	for _, k := range postContents {
		known[k.name] = true
	}
	return known
}()

// normalizeSharePost drops a content left empty (null, "", {} or []), then
// refuses a field the form does not know and a second content, naming it:
// the schema's oneOf would only say that one branch must match.
func normalizeSharePost(params json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if json.Unmarshal(params, &m) != nil {
		return params, nil
	}
	changed := false
	var named []string
	for _, k := range postContents {
		v, ok := m[k.name]
		if !ok {
			continue
		}
		switch string(bytes.TrimSpace(v)) {
		case "null", `""`, "{}", "[]":
			delete(m, k.name)
			changed = true
			continue
		}
		named = append(named, k.name)
	}
	var unknown []string
	for name := range m {
		if !sharePostNames[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, plugin.InvalidField(unknown[0], "is not a known field")
	}
	if len(named) > 1 {
		return nil, plugin.InvalidField(named[1], "cannot go with %s: a post carries one content at most", named[0])
	}
	if !changed {
		return params, nil
	}
	return marshalJSON(m)
}
