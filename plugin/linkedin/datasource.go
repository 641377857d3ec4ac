package linkedin

import "encoding/json"

// datasourceForm is what an admin fills in to create a LinkedIn datasource.
var datasourceForm = form([]field{
	{name: "name", required: true, schema: `{"type":"string","title":"Name","description":"How builders will find this datasource.","examples":["Marketing LinkedIn"],"minLength":1,"maxLength":100,"pattern":"\\S","errorMessage":"must not be empty"}`},
	{name: "config", schema: `{"type":"object","title":"LinkedIn","additionalProperties":false,"examples":[{"scopes":["openid","profile","email","w_member_social"],"linkedinVersion":"202610"}],"properties":{
			"scopes":{"type":"array","title":"Scopes","description":"What the member is asked to grant. openid, profile and email read the member; w_member_social posts as them; w_organization_social posts as a page they administer.",
				"default":["openid","profile","email","w_member_social"],"examples":[["openid","profile","email","w_member_social"]],"uniqueItems":true,"minItems":1,
				"items":{"type":"string","oneOf":[
					{"const":"openid","title":"openid (Sign In with LinkedIn)"},
					{"const":"profile","title":"profile (name and picture)"},
					{"const":"email","title":"email (primary email address)"},
					{"const":"w_member_social","title":"w_member_social (post as the member)"},
					{"const":"w_organization_social","title":"w_organization_social (post as a page)"},
					{"const":"r_organization_social","title":"r_organization_social (read a page's posts)"}]}},
			"linkedinVersion":{"type":"string","title":"LinkedIn API version","description":"LinkedIn-Version header (YYYYMM) for /rest routes. Leave empty to always use the previous month's, which LinkedIn keeps for about a year.","examples":["202610"],"pattern":"^[0-9]{6}$","errorMessage":"must be YYYYMM, e.g. 202610"},
			"clientId":{"type":"string","title":"Own app: client id","description":"Optional: this datasource's own LinkedIn app. Empty uses the server's app.","examples":["86abcdefgh1234"],"maxLength":200},
			"clientSecret":{"type":"string","title":"Own app: client secret","description":"Stored encrypted and never shown again.","writeOnly":true,"maxLength":200}}}`,
		ui: `{"ui:order":["scopes","linkedinVersion","clientId","clientSecret"],"scopes":{"ui:widget":"checkboxes"},"clientSecret":{"ui:widget":"password"}}`},
}, example("Post as a member", `{"name":"Marketing LinkedIn","config":{"scopes":["openid","profile","email","w_member_social"]}}`))

// Config is the non-secret part of a LinkedIn datasource's config.
type Config struct {
	Scopes          []string `json:"scopes,omitempty"`
	LinkedInVersion string   `json:"linkedinVersion,omitempty"`
	ClientID        string   `json:"clientId,omitempty"`
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

// pinnedVersion is the LinkedIn-Version a datasource's config names, ""
// for none.
func pinnedVersion(config json.RawMessage) string { return ParseConfig(config).LinkedInVersion }
