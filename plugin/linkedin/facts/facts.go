// Package facts is what LinkedIn says of its API, each fact with the page
// that says it: the products and the permissions they grant, the kinds of
// app, and each endpoint with what admits a call to it and the format of
// its text fields. The plugin's commands, its check before sending, the
// sandbox's 403s and consent page, and docs/linkedin-app.md all read it.
// Where our own notes disagreed with these pages, the pages won.
package facts

import (
	"net/url"
	"slices"
	"strings"

	"pluginserver/plugin"
)

// Pages of LinkedIn's documentation the facts cite.
const (
	pageOpenID        = "https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2"
	pageShare         = "https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/share-on-linkedin"
	pageAccess        = "https://learn.microsoft.com/en-us/linkedin/shared/authentication/getting-access"
	pageCommunity     = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/community-management-overview"
	pageCommunityApp  = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management-app-review"
	pageProfile       = "https://learn.microsoft.com/en-us/linkedin/shared/integrations/people/profile-api"
	pageUGCPosts      = "https://learn.microsoft.com/en-us/linkedin/compliance/integrations/shares/ugc-post-api"
	pageAssets        = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/vector-asset-api"
	pagePosts         = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api"
	pageImages        = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api"
	pageVideos        = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api"
	pageDocuments     = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/documents-api"
	pageComments      = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api"
	pageReactions     = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/reactions-api"
	pageLittleText    = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format"
	pageACLs          = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role"
	pageOrganizations = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api"
	pageRateLimits    = "https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits"
	pageErrors        = "https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling"
	// Analytics.
	pageFollowerStats   = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/follower-statistics"
	pageShareStats      = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/share-statistics"
	pagePageStats       = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/page-statistics"
	pageSocialMetadata  = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/social-metadata-api"
	pageMemberPostStats = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management/members/post-statistics"
)

// Access is how an app comes to hold a permission.
type Access string

const (
	// SelfServe: any app adds the product in the Developer Portal.
	SelfServe Access = "self-serve"
	// Approval: LinkedIn reviews the app (Community Management: a
	// verified business) before the product is added.
	Approval Access = "approval"
	// Restricted: LinkedIn grants it to selected developers only.
	Restricted Access = "restricted"
)

// Permission is an OAuth scope, the product that grants it and how an app
// comes to hold it.
type Permission struct {
	Scope   string
	Product string
	Access  Access
	// Grants says in a few words what it lets the app do.
	Grants string
	Source string
}

// LinkedIn's products.
const (
	productOpenID    = "Sign In with LinkedIn using OpenID Connect"
	productShare     = "Share on LinkedIn"
	productCommunity = "Community Management API"
)

// Permissions are the scopes the plugin's calls use, in the order the
// datasource form offers them. w_member_social is granted by both kinds of
// app; it is listed under the self-serve product that any app can add.
var Permissions = []Permission{
	{"openid", productOpenID, SelfServe, "sign in: read the member through /v2/userinfo", pageOpenID},
	{"profile", productOpenID, SelfServe, "the member's name and picture in /v2/userinfo", pageOpenID},
	{"email", productOpenID, SelfServe, "the member's primary email address in /v2/userinfo", pageOpenID},
	{"w_member_social", productShare, SelfServe, "post, comment and react as the member", pageShare},
	{"r_basicprofile", productCommunity, Approval, "read the member through /v2/me", pageProfile},
	{"w_organization_social", productCommunity, Approval, "post, comment and react as a page the member may post for", pagePosts},
	{"r_organization_social", productCommunity, Approval, "read a page's posts, comments and reactions", pagePosts},
	{"rw_organization_admin", productCommunity, Approval, "list the pages the member holds a role on, manage them, read their analytics", pageACLs},
	{"r_organization_admin", productCommunity, Approval, "list the pages the member holds a role on (their statistics ask for rw_organization_admin)", pageACLs},
	{"r_member_social", productCommunity, Restricted, "read the member's posts, comments and reactions (granted to selected developers only)", pagePosts},
	{"r_member_postAnalytics", productCommunity, Approval, "read the analytics of the member's own posts (memberCreatorPostAnalytics)", pageMemberPostStats},
}

// Lookup finds a scope's entry.
func Lookup(scope string) (Permission, bool) {
	i := slices.IndexFunc(Permissions, func(p Permission) bool { return p.Scope == scope })
	if i < 0 {
		return Permission{}, false
	}
	return Permissions[i], true
}

// appKinds are the kinds of LinkedIn app a datasource can use. The
// Community Management API must be the only product on its app (the
// Developer Portal refuses to add it beside another: "This API product
// requires that it be the only product on the application for legal and
// security reasons"), so no app grants openid with the page permissions.
var AppKinds = []plugin.AppKind{
	{ID: "self-serve", Title: "Self-serve app (" + productOpenID + ", " + productShare + ")",
		Description: "Any LinkedIn app: add both products in the Developer Portal. Reads the member and posts as them.",
		Scopes:      []string{"openid", "profile", "email", "w_member_social"},
		Default:     []string{"openid", "profile", "email", "w_member_social"},
		Source:      pageAccess},
	{ID: "community", Title: "Community Management app (" + productCommunity + ")",
		Description: "An app LinkedIn approved for the Community Management API, alone on its app: posts as the member and as the pages they may post for, reads pages. Its member is read from /v2/me.",
		Scopes:      []string{"r_basicprofile", "w_member_social", "w_organization_social", "r_organization_social", "rw_organization_admin", "r_organization_admin", "r_member_social", "r_member_postAnalytics"},
		Default:     []string{"r_basicprofile", "w_member_social", "w_organization_social", "r_organization_social", "rw_organization_admin"},
		Source:      pageCommunityApp},
}

// TextFormat is how LinkedIn reads a text field.
type TextFormat string

const (
	// Little text: | { } @ [ ] ( ) < > # \ * _ ~ are reserved and
	// escaped with a backslash to read as typed; unescaped, LinkedIn
	// publishes the text cut at the first one.
	LittleText TextFormat = "little text"
	// Plain text is shown exactly as sent: a backslash shows as one.
	PlainText TextFormat = "plain text"
)

// Endpoint is one of LinkedIn's routes and what admits a call to it.
type Endpoint struct {
	Method string
	// Path is the route under the API root; a {name} segment matches any
	// one segment.
	Path string
	// Query, when set, is the one query parameter that tells this
	// endpoint from another on the same path (q=author, action=…).
	Query string
	// Restli is the Rest.li method LinkedIn names for it.
	Restli string
	// Member admits a call acting as the member: any one of them.
	Member []string
	// Page admits a call acting as a page; nil where no page acts.
	Page []string
	// Roles are the approved page roles LinkedIn asks of the member for
	// a call on a page, where its page says which; nil where it does
	// not, or where the roles are those that may post (PostingRoles).
	Roles []string
	// Text is the format of each text field of the body, by its path.
	Text   map[string]TextFormat
	Source string
}

// Key names an endpoint, as commands list them and limits are kept by.
func (e *Endpoint) Key() string {
	k := e.Method + " " + e.Path
	if e.Query != "" {
		k += "?" + e.Query
	}
	return k
}

var (
	memberWrites = []string{"w_member_social"}
	pageWrites   = []string{"w_organization_social"}
	memberReads  = []string{"r_member_social"}
	pageReads    = []string{"r_organization_social"}
	pageAdmin    = []string{"rw_organization_admin", "r_organization_admin"}
	// pageAnalytics: LinkedIn's statistics pages name rw_organization_admin
	// alone (not r_organization_admin), for a page the member is an
	// ADMINISTRATOR of (AnalyticsRoles).
	pageAnalytics       = []string{"rw_organization_admin"}
	memberPostAnalytics = []string{"r_member_postAnalytics"}
	postText            = map[string]TextFormat{
		"commentary":                          LittleText,
		"content.article.title":               PlainText,
		"content.article.description":         PlainText,
		"content.media.title":                 PlainText,
		"content.media.altText":               PlainText,
		"content.multiImage.images[].altText": PlainText,
		"content.poll.question":               PlainText,
		"content.poll.options[].text":         PlainText,
	}
)

// Endpoints are the routes the plugin's commands call. A command lists the
// keys of those it calls; a test fails on a call to a route not here.
var Endpoints = []*Endpoint{
	{Method: "GET", Path: "/v2/userinfo", Restli: "GET", Member: []string{"openid"}, Source: pageOpenID},
	{Method: "GET", Path: "/v2/me", Restli: "GET", Member: []string{"r_basicprofile"}, Source: pageProfile},
	{Method: "POST", Path: "/v2/ugcPosts", Restli: "CREATE", Member: memberWrites, Page: pageWrites,
		Text: map[string]TextFormat{"specificContent.com.linkedin.ugc.ShareContent.shareCommentary.text": LittleText}, Source: pageUGCPosts},
	{Method: "POST", Path: "/v2/assets", Query: "action=registerUpload", Restli: "ACTION", Member: memberWrites, Page: pageWrites, Source: pageAssets},
	{Method: "POST", Path: "/rest/posts", Restli: "CREATE", Member: memberWrites, Page: pageWrites, Text: postText, Source: pagePosts},
	// Whose post it is is not in a post's URN: either kind of read admits.
	{Method: "GET", Path: "/rest/posts/{post}", Restli: "GET", Member: slices.Concat(memberReads, pageReads), Source: pagePosts},
	{Method: "GET", Path: "/rest/posts", Query: "q=author", Restli: "FINDER", Member: memberReads, Page: pageReads, Source: pagePosts},
	{Method: "POST", Path: "/rest/posts/{post}", Restli: "PARTIAL_UPDATE", Member: slices.Concat(memberWrites, pageWrites),
		Text: map[string]TextFormat{"patch.$set.commentary": LittleText}, Source: pagePosts},
	{Method: "DELETE", Path: "/rest/posts/{post}", Restli: "DELETE", Member: slices.Concat(memberWrites, pageWrites), Source: pagePosts},
	{Method: "POST", Path: "/rest/images", Query: "action=initializeUpload", Restli: "ACTION", Member: memberWrites, Page: pageWrites, Source: pageImages},
	{Method: "POST", Path: "/rest/documents", Query: "action=initializeUpload", Restli: "ACTION", Member: memberWrites, Page: pageWrites, Source: pageDocuments},
	{Method: "POST", Path: "/rest/videos", Query: "action=initializeUpload", Restli: "ACTION", Member: memberWrites, Page: pageWrites, Source: pageVideos},
	{Method: "POST", Path: "/rest/videos", Query: "action=finalizeUpload", Restli: "ACTION", Member: memberWrites, Page: pageWrites, Source: pageVideos},
	// The uploader polls its own upload's status with the token that
	// initialized it; the read permissions read others' media.
	{Method: "GET", Path: "/rest/images/{image}", Restli: "GET", Member: slices.Concat(memberWrites, pageWrites, memberReads, pageReads), Source: pageImages},
	{Method: "GET", Path: "/rest/videos/{video}", Restli: "GET", Member: slices.Concat(memberWrites, pageWrites, memberReads, pageReads), Source: pageVideos},
	{Method: "GET", Path: "/rest/documents/{document}", Restli: "GET", Member: slices.Concat(memberWrites, pageWrites, memberReads, pageReads), Source: pageDocuments},
	{Method: "POST", Path: "/rest/socialActions/{post}/comments", Restli: "CREATE", Member: memberWrites, Page: pageWrites,
		Text: map[string]TextFormat{"message.text": PlainText}, Source: pageComments},
	{Method: "GET", Path: "/rest/socialActions/{post}/comments", Restli: "GET_ALL", Member: slices.Concat(memberReads, pageReads), Source: pageComments},
	{Method: "DELETE", Path: "/rest/socialActions/{post}/comments/{comment}", Restli: "DELETE", Member: memberWrites, Page: pageWrites, Source: pageComments},
	{Method: "POST", Path: "/rest/reactions", Restli: "CREATE", Member: memberWrites, Page: pageWrites, Source: pageReactions},
	{Method: "DELETE", Path: "/rest/reactions/{key}", Restli: "DELETE", Member: memberWrites, Page: pageWrites, Source: pageReactions},
	{Method: "GET", Path: "/rest/organizationAcls", Query: "q=roleAssignee", Restli: "FINDER", Member: pageAdmin, Source: pageACLs},
	{Method: "GET", Path: "/rest/organizations/{id}", Restli: "GET", Member: slices.Concat(pageAdmin, pageReads, pageWrites), Source: pageOrganizations},
	{Method: "GET", Path: "/rest/organizations", Query: "ids", Restli: "BATCH_GET", Member: slices.Concat(pageAdmin, pageReads, pageWrites), Source: pageOrganizations},
	// Analytics. The statistics finders read a page the member is an
	// ADMINISTRATOR of; the follower count is in Organization Lookup (the
	// follower statistics page sends there for it).
	{Method: "GET", Path: "/rest/networkSizes/{organization}", Restli: "GET", Member: slices.Concat(pageAdmin, pageReads, pageWrites), Source: pageOrganizations},
	{Method: "GET", Path: "/rest/organizationalEntityFollowerStatistics", Query: "q=organizationalEntity", Restli: "FINDER", Member: pageAnalytics, Roles: AnalyticsRoles, Source: pageFollowerStats},
	{Method: "GET", Path: "/rest/organizationalEntityShareStatistics", Query: "q=organizationalEntity", Restli: "FINDER", Member: pageAnalytics, Roles: AnalyticsRoles, Source: pageShareStats},
	{Method: "GET", Path: "/rest/organizationPageStatistics", Query: "q=organization", Restli: "FINDER", Member: pageAnalytics, Roles: AnalyticsRoles, Source: pagePageStats},
	{Method: "GET", Path: "/rest/socialMetadata/{post}", Restli: "GET", Member: slices.Concat(memberReads, pageReads), Source: pageSocialMetadata},
	{Method: "GET", Path: "/rest/memberCreatorPostAnalytics", Query: "q=me", Restli: "FINDER", Member: memberPostAnalytics, Source: pageMemberPostStats},
	{Method: "GET", Path: "/rest/memberCreatorPostAnalytics", Query: "q=entity", Restli: "FINDER", Member: memberPostAnalytics, Source: pageMemberPostStats},
	{Method: "GET", Path: "/rest/reactions/{key}", Query: "q=entity", Restli: "FINDER", Member: slices.Concat(memberReads, pageReads), Source: pageReactions},
	Upload,
}

// Upload is any call to an upload URL LinkedIn handed out: the URL
// carries its own authorization, and the token rides along.
var Upload = &Endpoint{Method: "PUT", Path: "{uploadUrl}", Restli: "upload", Source: pageImages}

// Find is the endpoint a request reaches, by its method, its path under
// the API root (escaped) and its raw query; nil for one not in the table.
// It runs before every call: the query is parsed only for a path that
// needs it.
func Find(method, path, rawQuery string) *Endpoint {
	var query url.Values
	for _, e := range Endpoints {
		if e == Upload || e.Method != method || !pathMatches(e.Path, path) {
			continue
		}
		if e.Query != "" {
			if query == nil {
				query, _ = url.ParseQuery(rawQuery)
			}
			name, value, valued := strings.Cut(e.Query, "=")
			if !query.Has(name) || valued && query.Get(name) != value {
				continue
			}
		}
		return e
	}
	return nil
}

// ByKey finds an endpoint by its key.
func ByKey(key string) *Endpoint {
	for _, e := range Endpoints {
		if e.Key() == key {
			return e
		}
	}
	return nil
}

// pathMatches compares a path with a pattern segment by segment, a
// {name} segment matching any one that is not empty.
func pathMatches(pattern, path string) bool {
	for pattern != "" || path != "" {
		var want, got string
		var ok1, ok2 bool
		want, pattern, ok1 = cutSegment(pattern)
		got, path, ok2 = cutSegment(path)
		if ok1 != ok2 || got == "" && want != "" || !strings.HasPrefix(want, "{") && want != got {
			return false
		}
	}
	return true
}

// cutSegment splits "/a/b" into "a" and "/b"; ok is false when s is empty.
func cutSegment(s string) (segment, rest string, ok bool) {
	if s == "" {
		return "", "", false
	}
	s = strings.TrimPrefix(s, "/")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i], s[i:], true
	}
	return s, "", true
}

// Any is every permission that admits a call to the endpoint, as the
// member or as a page.
func (e *Endpoint) Any() []string {
	out := slices.Clone(e.Member)
	for _, s := range e.Page {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// PostingRoles are the page roles, approved, that let a member post,
// comment and react as the page with w_organization_social (the Posts
// API's page names administrators and content administrators; direct
// sponsored content posters make sponsored content, not page posts).
// Source: pagePosts, pageACLs.
var PostingRoles = []string{"ADMINISTRATOR", "CONTENT_ADMINISTRATOR"}

// AnalyticsRoles are the page roles, approved, that let a member read a
// page's follower, share and page statistics with rw_organization_admin.
// Source: pageFollowerStats, pageShareStats, pagePageStats.
var AnalyticsRoles = []string{"ADMINISTRATOR"}

// ShareStatisticsMonths is how far back LinkedIn keeps share statistics:
// "The organizationalEntityShareStatistics endpoint returns share data
// only within the past 12 months, using a rolling 12-month window."
// Source: pageShareStats.
const ShareStatisticsMonths = 12
