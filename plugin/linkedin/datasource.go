package linkedin

import (
	"encoding/json"
	"strings"

	"pluginserver/internal/jsontext"
	"pluginserver/plugin/linkedin/facts"
)

// datasourceForm is what an admin fills in to create a LinkedIn datasource.
var datasourceForm = form([]field{
	{name: "name", required: true, schema: `{"type":"string","title":"Name","description":"How builders will find this datasource.","examples":["Marketing LinkedIn"],"minLength":1,"maxLength":100,"pattern":"\\S","errorMessage":"must not be empty"}`},
	{name: "config", schema: `{"type":"object","title":"LinkedIn","additionalProperties":false,"examples":[{"scopes":["openid","profile","email","w_member_social"],"linkedinVersion":"202610"},{"scopes":["r_basicprofile","w_member_social","w_organization_social","r_organization_social","rw_organization_admin"]}],"properties":{
			"scopes":` + scopesSchema() + `,
			"linkedinVersion":{"type":"string","title":"LinkedIn API version","description":"LinkedIn-Version header (YYYYMM) for /rest routes. Leave empty to always use the previous month's, which LinkedIn keeps for about a year.","examples":["202610"],"pattern":"^[0-9]{6}$","errorMessage":"must be YYYYMM, e.g. 202610"},
			"clientId":{"type":"string","title":"Own app: client id","description":"Optional: this datasource's own LinkedIn app. Empty uses the server's app.","examples":["86abcdefgh1234"],"maxLength":200},
			"clientSecret":{"type":"string","title":"Own app: client secret","description":"Stored encrypted and never shown again.","writeOnly":true,"maxLength":200},
			"readCacheSeconds":{"type":"integer","title":"Read cache (seconds)","description":"Optional: reuse a read's successful answer (getUserInfo, getPost, listPosts…) for this many seconds instead of asking LinkedIn again, so apps that refresh often spend fewer of LinkedIn's daily calls per member and per app. Any write on this datasource, a change of it, or a request with Cache-Control: no-cache skips what was kept. 0 (the default) keeps nothing.","default":0,"minimum":0,"maximum":3600,"examples":[60]}}}`,
		ui: `{"ui:order":["scopes","linkedinVersion","clientId","clientSecret","readCacheSeconds"],"scopes":{"ui:widget":"checkboxes"},"clientSecret":{"ui:widget":"password"}}`},
}, example("Post as a member (a self-serve app)", `{"name":"Marketing LinkedIn","config":{"scopes":["openid","profile","email","w_member_social"]}}`),
	example("Post as the member and their pages (a Community Management app)", `{"name":"Company pages","config":{"scopes":["r_basicprofile","w_member_social","w_organization_social","r_organization_social","rw_organization_admin"]}}`))

// scopesSchema offers every permission a command uses, each titled with
// what it lets the app do and the product that grants it, from the table
// of facts; the description says which sets one app can be granted.
func scopesSchema() string {
	type choice struct {
		Const string `json:"const"`
		Title string `json:"title"`
	}
	var choices []choice
	for _, p := range facts.Permissions {
		choices = append(choices, choice{p.Scope, p.Scope + ": " + p.Grants + " (" + p.Product + ", " + string(p.Access) + ")"})
	}
	var kinds []string
	for _, k := range facts.AppKinds {
		kinds = append(kinds, k.Title+" grants "+strings.Join(k.Scopes, ", "))
	}
	self, community := facts.AppKinds[0], facts.AppKinds[1]
	schema := map[string]any{
		"type": "array", "title": "Scopes",
		"description": "What the member is asked to grant; they grant all or none, and LinkedIn refuses the whole request when one is not the app's. " +
			strings.Join(kinds, ". ") + ". No app grants both sets.",
		"default": self.Default, "examples": [][]string{self.Default, community.Default},
		"uniqueItems": true, "minItems": 1,
		"items": map[string]any{"type": "string", "oneOf": choices},
	}
	out, _ := marshalJSON(schema)
	return string(out)
}

// Config is the non-secret part of a LinkedIn datasource's config.
type Config struct {
	Scopes          []string `json:"scopes,omitempty"`
	LinkedInVersion string   `json:"linkedinVersion,omitempty"`
	ClientID        string   `json:"clientId,omitempty"`
	// ReadCacheSeconds is how long Read commands' answers are reused; 0
	// for not at all.
	ReadCacheSeconds int `json:"readCacheSeconds,omitempty"`
}

// ParseConfig reads a stored config, filling defaults.
func ParseConfig(raw json.RawMessage) Config {
	var c Config
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &c)
	}
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
	}
	return c
}

// configMembers are Config's JSON names, linkedinVersion first.
var configMembers = [...]string{"linkedinVersion", "scopes", "clientId", "readCacheSeconds"}

// pinnedVersion is the LinkedIn-Version a datasource's config names, ""
// for none. Every call asks, so a config as the server stores it is read
// in one pass without decoding the rest; anything else is parsed.
func pinnedVersion(config json.RawMessage) string {
	var values [len(configMembers)][]byte
	if jsontext.Members(config, configMembers[:], values[:]) {
		if values[0] == nil {
			return ""
		}
		if v, ok := jsontext.PlainString(values[0]); ok {
			return v
		}
	}
	return ParseConfig(config).LinkedInVersion
}
