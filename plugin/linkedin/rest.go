package linkedin

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin/facts"
)

// What the current content API (/rest) shares: URN params, little text,
// and the authors a member may act as.

// URN kinds a param may name, each with what a builder calls it.
var (
	authorKinds = []string{"person", "organization"}
	postKinds   = []string{"share", "ugcPost"}
	mediaKinds  = []string{"image", "video", "document"}
	imageKinds  = []string{"image"}
)

var urnPattern = regexp.MustCompile(`^(?:urn:li:)?([A-Za-z]+):([A-Za-z0-9_-]+)$`)

// urnParam reads a URN param given as urn:li:kind:id or the short
// kind:id, and refuses another kind, naming the field and what it got.
func urnParam(field, value string, kinds ...string) (string, error) {
	m := urnPattern.FindStringSubmatch(value)
	if m == nil {
		return "", plugin.InvalidField(field, "must be %s", kindsText(kinds))
	}
	if !slices.Contains(kinds, m[1]) {
		return "", plugin.InvalidField(field, "must be %s; %q is a %s", kindsText(kinds), value, m[1])
	}
	return "urn:li:" + m[1] + ":" + m[2], nil
}

func kindsText(kinds []string) string {
	var short, long []string
	for _, k := range kinds {
		short = append(short, k+":ID")
		long = append(long, "urn:li:"+k+":ID")
	}
	return strings.Join(short, ", ") + " or " + strings.Join(long, ", ")
}

// urnSchema is the JSON Schema of a URN param of those kinds.
func urnSchema(title, description string, example string, kinds ...string) string {
	s, _ := json.Marshal(map[string]any{"type": "string", "title": title, "description": description,
		"examples": []string{example}, "pattern": "^(urn:li:)?(" + strings.Join(kinds, "|") + "):[A-Za-z0-9_-]+$",
		"errorMessage": "must be " + kindsText(kinds)})
	return string(s)
}

// Fields of the current content API.
var (
	postField = field{name: "post", required: true,
		schema: urnSchema("Post", "The post: share:ID or ugcPost:ID (output.id of Share Post or Create Post), or its URN.", "urn:li:share:6844785523593134080", postKinds...)}
	// restAuthorField is an author a member may act as, listed by the
	// options route for a dropdown.
	restAuthorField = field{name: "author", required: true, schema: authorField.schema, ui: authorField.ui, options: authorOptions}
	actorField      = field{name: "actor", required: true,
		schema: urnSchema("Actor", "Who acts: person:ID for the member, organization:ID for a page they administer.", "person:782bbtaQ", authorKinds...),
		ui:     `{"ui:placeholder":"person:782bbtaQ"}`, options: authorOptions}
	textFormatField = field{name: "textFormat", schema: `{"type":"string","title":"Text format",
		"description":"plain: the text reads exactly as typed (LinkedIn's reserved characters are escaped; #hashtags and links stay). little: the text is LinkedIn's little text format, sent untouched.",
		"default":"plain","examples":["plain"],"oneOf":[{"const":"plain","title":"Plain text"},{"const":"little","title":"Little text (written by hand)"}]}`}
	mentionsField = field{name: "mentions", schema: `{"type":"array","title":"Mentions",
		"description":"Members or pages to mention: each @Name in the text becomes a mention of that URN.","maxItems":50,
		"examples":[[{"name":"Sandbox Devices","urn":"organization:2414183"}]],
		"items":{"type":"object","title":"Mention","additionalProperties":false,"required":["name","urn"],"properties":{
			"name":{"type":"string","title":"Name","description":"As it appears after @ in the text.","minLength":1,"maxLength":200},
			"urn":{"type":"string","title":"URN","description":"person:ID, organization:ID or the full URN.","pattern":"^(urn:li:)?(person|organization):[A-Za-z0-9_-]+$","errorMessage":"must be person:ID, organization:ID or a full URN"}}}}`}
)

// textParams are a text and how to read it.
type textParams struct {
	TextFormat string    `json:"textFormat"`
	Mentions   []mention `json:"mentions"`
}

// little is text as LinkedIn's little text format reads it, checked
// against LinkedIn's limit as LinkedIn counts.
func (p textParams) little(field, text string, limit int) (string, error) {
	out := text
	if p.TextFormat != "little" {
		mentions := slices.Clone(p.Mentions)
		for i := range mentions {
			urn, err := urnParam(fmt.Sprintf("mentions.%d.urn", i), mentions[i].URN, authorKinds...)
			if err != nil {
				return "", err
			}
			mentions[i].URN = urn
		}
		var err error
		if out, err = littleText(text, mentions); err != nil {
			return "", err
		}
	} else if len(p.Mentions) > 0 {
		return "", plugin.InvalidField("mentions", "are written into little text by hand; with textFormat little, leave mentions empty")
	}
	if n := littleLength(out); n > limit {
		return "", plugin.InvalidField(field, "is %d characters as LinkedIn counts them; LinkedIn takes at most %d", n, limit)
	}
	return out, nil
}

// authorOptions lists who a member may act as: themselves and the pages
// on which they hold a role that may post, each with its name.
var authorOptions = &plugin.Options{
	Name:      "authors",
	Endpoints: []string{"GET /v2/userinfo", "GET /v2/me", "GET /rest/organizationAcls?q=roleAssignee", "GET /rest/organizations?ids"},
	Load:      loadAuthors,
	Restrict: func(value string) (string, bool) {
		urn, err := urnParam("author", value, authorKinds...)
		return urn, err == nil && strings.HasPrefix(urn, "urn:li:organization:")
	},
	Unlisted: "the member may act only as a page on which they hold an APPROVED role that may post (" + strings.Join(facts.PostingRoles, " or ") + ")",
}

func loadAuthors(ctx context.Context, s plugin.Settings, send plugin.Send) ([]plugin.Option, error) {
	var options []plugin.Option
	me, err := apiCall(s, http.MethodGet, memberPath(s), nil, nil)
	if err != nil {
		return nil, err
	}
	if resp, err := send(ctx, me); err != nil {
		return nil, err
	} else if resp.Status == http.StatusOK {
		resp.Call = me
		var who struct{ Sub, Name string }
		if json.Unmarshal(member(resp), &who) == nil && who.Sub != "" {
			options = append(options, plugin.Option{Value: "urn:li:person:" + who.Sub, Label: cmp.Or(who.Name, who.Sub)})
		}
	}
	// Without the pages, the member is still a choice; the error says
	// the listing is incomplete, and why.
	pages, err := postablePages(ctx, s, send)
	for _, p := range pages {
		options = append(options, plugin.Option{Value: p.URN, Label: p.Name + " (" + roleLabel(p.Role) + ")"})
	}
	return options, err
}

// page is a page the member may post for.
type page struct {
	URN  string `json:"organization"`
	Name string `json:"name"`
	// Role is the member's approved role on it.
	Role string `json:"role"`
}

// postablePages lists the pages on which the member holds an approved
// role that may post, named and labelled with the role.
func postablePages(ctx context.Context, s plugin.Settings, send plugin.Send) ([]page, error) {
	return rolePages(ctx, s, send, facts.PostingRoles)
}

// rolePages lists the pages on which the member holds an approved role
// among roles, named and labelled with the role: one call for the roles,
// one batch call for the names. A datasource whose scopes cannot list
// pages is told so without asking LinkedIn to refuse.
func rolePages(ctx context.Context, s plugin.Settings, send plugin.Send, roles []string) ([]page, error) {
	acls, err := apiCall(s, http.MethodGet, "/rest/organizationAcls", url.Values{"q": {"roleAssignee"}, "state": {"APPROVED"}}, nil)
	if err != nil {
		if pe := plugin.AsError(err); pe.Code == plugin.AuthorizationRequired {
			return nil, plugin.Errorf(plugin.AuthorizationRequired, "pages are not listed: %s", pe.Message)
		}
		return nil, err
	}
	resp, err := send(ctx, acls)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, plugin.Errorf(plugin.LinkedInRejected, "LinkedIn did not list the member's pages (HTTP %d): %s", resp.Status, explain(resp))
	}
	var list struct {
		Elements []struct {
			Organization string `json:"organization"`
			Role         string `json:"role"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil {
		return nil, plugin.Errorf(plugin.UpstreamUnavailable, "LinkedIn's list of pages is not the JSON it documents")
	}
	var pages []page
	var ids []string
	for _, e := range list.Elements {
		id, ok := strings.CutPrefix(e.Organization, "urn:li:organization:")
		if !ok || !numeric.MatchString(id) || !slices.Contains(roles, e.Role) || slices.Contains(ids, id) {
			continue // one entry a page, under its first role among roles
		}
		ids = append(ids, id)
		pages = append(pages, page{URN: e.Organization, Role: e.Role})
	}
	if len(ids) == 0 {
		return pages, nil
	}
	names := pageNames(ctx, s, send, ids)
	for i := range pages {
		pages[i].Name = cmp.Or(names[ids[i]], pages[i].URN)
	}
	return pages, nil
}

var numeric = regexp.MustCompile(`^[0-9]+$`)

// roleLabel is a page role as a person reads it.
func roleLabel(role string) string {
	return strings.ToLower(strings.ReplaceAll(role, "_", " "))
}

// pageNames are the pages' names by id from one batch call; a page whose
// name cannot be read is left out, and listed by its URN.
func pageNames(ctx context.Context, s plugin.Settings, send plugin.Send, ids []string) map[string]string {
	batch, err := restliGet(s, "/rest/organizations", Record{{"ids", ids}})
	if err != nil {
		return nil
	}
	resp, err := send(ctx, batch)
	if err != nil || resp.Status != http.StatusOK {
		return nil
	}
	var body struct {
		Results map[string]struct {
			LocalizedName string `json:"localizedName"`
		} `json:"results"`
	}
	if json.Unmarshal(resp.Body, &body) != nil {
		return nil
	}
	names := map[string]string{}
	for id, org := range body.Results {
		names[id] = org.LocalizedName
	}
	return names
}

// restliKey is a Rest.li 2.0 compound key, (name:value,...), for a path:
// each value encoded, the syntax itself literal.
func restliKey(pairs ...string) string {
	var key Record
	for i := 0; i+1 < len(pairs); i += 2 {
		key = append(key, Field{pairs[i], pairs[i+1]})
	}
	return RestliEncode(key)
}

// changed is the output of a call LinkedIn answers with 204 and no body:
// what it was about, so an app can bind to output.id.
func changed(what string) func(*plugin.Response) json.RawMessage {
	return func(r *plugin.Response) json.RawMessage {
		id := ""
		if r.Call != nil {
			path := r.Call.URL.EscapedPath()
			id, _ = url.PathUnescape(path[strings.LastIndex(path, "/")+1:])
		}
		out, _ := json.Marshal(map[string]any{"id": id, what: true})
		return out
	}
}
