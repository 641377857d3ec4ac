package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"pluginserver/plugin/linkedin/facts"
)

// Page is a LinkedIn organization page and the Member's role on it.
type Page struct {
	ID   string
	Name string
	// Role is the Member's APPROVED role on the page.
	Role string
}

// Pages are the pages the Member holds an APPROVED role on, as their
// organizationAcls answer: an ADMINISTRATOR and a CONTENT_ADMINISTRATOR
// page, on which the member may post, upload, comment and react with
// w_organization_social, and an ANALYST page, on which they may not.
var Pages = []Page{
	{ID: "2414183", Name: "Sandbox Devices", Role: "ADMINISTRATOR"},
	{ID: "5000001", Name: "Sandbox Labs", Role: "CONTENT_ADMINISTRATOR"},
	{ID: "5000002", Name: "Sandbox Insights", Role: "ANALYST"},
}

// OtherPage is a page the Member follows but holds no role on: it is in
// /rest/organizations, not in the member's organizationAcls, and acting as
// it answers 403.
var OtherPage = Page{ID: "1337", Name: "Not Yours Inc"}

// URN is the page's urn:li:organization URN.
func (p Page) URN() string { return "urn:li:organization:" + p.ID }

// memberURN is the Member's urn:li:person URN.
func memberURN() string { return "urn:li:person:" + Member["sub"].(string) }

// page finds a page the sandbox knows, administered or not.
func page(id string) (Page, bool) {
	for _, p := range append(slices.Clone(Pages), OtherPage) {
		if p.ID == id {
			return p, true
		}
	}
	return Page{}, false
}

// administers says whether the Member holds a role on the page that lets
// them act as it.
func administers(id string) bool {
	return slices.ContainsFunc(Pages, func(p Page) bool { return p.ID == id && slices.Contains(facts.PostingRoles, p.Role) })
}

// access names a call in LinkedIn's ACCESS_DENIED messages, e.g.
// partnerApiPostsExternal.CREATE.20261101 (resource, Rest.li method, and the
// version asked for, or NO_VERSION).
func access(r *http.Request, resource, method string) string {
	version := "NO_VERSION"
	if v := r.Header.Get("LinkedIn-Version"); v != "" {
		version = v + "01"
	}
	return resource + "." + method + "." + version
}

// checkAuthor answers 403 when the token's member may not act as author
// (an author, owner or actor): another member, a page without
// w_organization_social, or a page on which the member holds no role that
// may post (facts.PostingRoles). A person author needs w_member_social, which routes
// that also take w_organization_social leave to this check. what names the
// call in the message; pointer is where author is in the body, for the 422
// when it is not a person or organization URN at all.
func (s *Sandbox) checkAuthor(w http.ResponseWriter, author string, g *grant, pointer, what string) bool {
	m := authorURN.FindStringSubmatch(author)
	denied := func(why string) bool {
		apiError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to access: "+what+": "+why)
		return false
	}
	switch {
	case m == nil:
		invalid(w, pointer, fmt.Sprintf("%q is not a valid urn:li:person or urn:li:organization URN", author))
		return false
	case m[1] == "person" && m[2] != Member["sub"]:
		return denied("the member may not act as " + author)
	case m[1] == "person" && !slices.Contains(g.scopes, "w_member_social"):
		return denied("acting as " + author + " needs w_member_social")
	case m[1] == "organization" && !slices.Contains(g.scopes, "w_organization_social"):
		return denied("acting as " + author + " needs w_organization_social")
	case m[1] == "organization" && !administers(m[2]):
		return denied(memberURN() + " holds no APPROVED role that may post (" + strings.Join(facts.PostingRoles, ", ") + ") on " + author)
	}
	return true
}

// The roles and states an organizationAcls finder may filter on.
var (
	aclRoles  = []string{"ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "RECRUITING_POSTER", "LEAD_CAPTURE_ADMINISTRATOR", "LEAD_GEN_FORMS_MANAGER", "ANALYST", "CURATOR", "CONTENT_ADMINISTRATOR"}
	aclStates = []string{"APPROVED", "REQUESTED", "REJECTED", "REVOKED"}
)

// organizationACLs is GET /rest/organizationAcls?q=roleAssignee: the
// member's APPROVED page roles (Pages). role and state filter; a valid
// role or state the member has not (e.g. CURATOR) finds nothing.
func (s *Sandbox) organizationACLs(w http.ResponseWriter, r *http.Request, g *grant) {
	q := r.URL.Query()
	if q.Get("q") != "roleAssignee" {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "q must be roleAssignee")
		return
	}
	role, state := q.Get("role"), q.Get("state")
	if role != "" && !slices.Contains(aclRoles, role) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param role: %q is not an enum symbol of OrganizationRoleType", role))
		return
	}
	if state != "" && !slices.Contains(aclStates, state) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf("Invalid value for param state: %q is not an enum symbol of OrganizationRoleState", state))
		return
	}
	start, count, ok := paging(w, r)
	if !ok {
		return
	}
	var acls []any
	for _, p := range Pages {
		if (role == "" || role == p.Role) && (state == "" || state == "APPROVED") {
			acls = append(acls, map[string]any{"roleAssignee": memberURN(), "role": p.Role, "organization": p.URN(), "state": "APPROVED"})
		}
	}
	writeJSON(w, http.StatusOK, collection(r, acls, start, count))
}

// batchIDs reads a Rest.li 2.0 batch key, ids=List(1,2), as LinkedIn
// reads it: the List syntax literal, each id numeric.
var batchIDs = regexp.MustCompile(`^List\(([0-9]+(?:,[0-9]+)*)\)$`)

// organizations is GET /rest/organizations?ids=List(…): a BATCH_GET of
// pages by numeric id, each found one under results and each unknown one
// under errors, keyed by id.
func (s *Sandbox) organizations(w http.ResponseWriter, r *http.Request, g *grant) {
	m := batchIDs.FindStringSubmatch(r.URL.Query().Get("ids"))
	if m == nil {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "ids must be List(id,…) of numeric organization ids")
		return
	}
	results, statuses, errs := map[string]any{}, map[string]int{}, map[string]any{}
	for _, id := range strings.Split(m[1], ",") {
		if p, ok := page(id); ok {
			results[id] = organizationBody(p)
			statuses[id] = http.StatusOK
			continue
		}
		statuses[id] = http.StatusNotFound
		errs[id] = map[string]any{"status": http.StatusNotFound, "message": "Not Found: urn:li:organization:" + id}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "statuses": statuses, "errors": errs})
}

var numericID = regexp.MustCompile(`^[0-9]+$`)

// organization is GET /rest/organizations/{id}: any page the sandbox
// knows, administered or not, by its numeric id.
func (s *Sandbox) organization(w http.ResponseWriter, r *http.Request, g *grant) {
	id := chi.URLParam(r, "id")
	if !numericID.MatchString(id) {
		apiError(w, http.StatusBadRequest, "BAD_REQUEST", "Syntax exception in path variables: the key must be a numeric organization id")
		return
	}
	p, ok := page(id)
	if !ok {
		apiError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Not Found: urn:li:organization:"+id)
		return
	}
	writeJSON(w, http.StatusOK, organizationBody(p))
}

// organizationBody is a page as the Organization Lookup API answers it.
func organizationBody(p Page) map[string]any {
	var n int64
	fmt.Sscan(p.ID, &n)
	return map[string]any{
		"id": n, "localizedName": p.Name, "vanityName": strings.ReplaceAll(strings.ToLower(p.Name), " ", "-"),
		"name":                    map[string]any{"localized": map[string]string{"en_US": p.Name}, "preferredLocale": map[string]string{"country": "US", "language": "en"}},
		"primaryOrganizationType": "NONE",
	}
}
