package linkedin_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
	"pluginserver/plugin/linkedin/facts"
)

// kindScopes are the scopes a datasource of each kind of app asks for.
func kindScopes(t *testing.T, id string) []string {
	t.Helper()
	for _, k := range facts.AppKinds {
		if k.ID == id {
			return k.Default
		}
	}
	t.Fatalf("no app kind %s", id)
	return nil
}

// buildWith builds a command's request for a member who granted scopes.
func buildWith(t *testing.T, command, params string, scopes []string) (*plugin.Call, error) {
	t.Helper()
	cmd, raw, problems := prepared(t, command, params)
	if problems != nil {
		t.Fatalf("%s %s: %v", command, params, problems)
	}
	s := testSettings()
	s.Scopes = scopes
	return cmd.Build(context.Background(), raw, s)
}

// What each kind of app may do, before anything is sent: the permission a
// call needs follows from its params (a member's post or a page's, a
// member or a page acting), and a refusal names it and what grants it.
func TestPermissionsByAppKind(t *testing.T) {
	selfServe, community := kindScopes(t, "self-serve"), kindScopes(t, "community")
	without := func(scopes []string, drop string) []string {
		return slices.DeleteFunc(slices.Clone(scopes), func(s string) bool { return s == drop })
	}
	for _, tt := range []struct {
		name, command, params string
		scopes                []string
		// sent is the path of the request sent; else refused names the
		// permission it needs.
		sent, refused string
	}{
		{"member, self-serve", "getUserInfo", `{}`, selfServe, "/v2/userinfo", ""},
		{"member, community", "getUserInfo", `{}`, community, "/v2/me", ""},
		{"member, community without a profile", "getUserInfo", `{}`, without(community, "r_basicprofile"), "", "openid"},
		{"post as the member", "sharePost", `{"author":"person:782bbtaQ","commentary":"hi"}`, selfServe, "/rest/posts", ""},
		{"post as a page, self-serve", "sharePost", `{"author":"organization:2414183","commentary":"hi"}`, selfServe, "", "w_organization_social"},
		{"post as a page, community", "sharePost", `{"author":"organization:2414183","commentary":"hi"}`, community, "/rest/posts", ""},
		{"legacy post as a page, self-serve", "createPost", `{"author":"organization:2414183","lifecycleState":"PUBLISHED","text":"hi","visibility":"PUBLIC"}`, selfServe, "", "w_organization_social"},
		{"legacy upload as a page, self-serve", "registerMediaUpload", `{"author":"organization:2414183","mediaCategory":"image"}`, selfServe, "", "w_organization_social"},
		{"upload as a page, self-serve", "uploadImage", `{"owner":"organization:2414183","data":"data:image/png;base64,iVBORw0KGgo="}`, selfServe, "", "w_organization_social"},
		{"read a post, self-serve", "getPost", `{"post":"share:1"}`, selfServe, "", "r_member_social"},
		{"read a post, community", "getPost", `{"post":"share:1"}`, community, "/rest/posts/urn%3Ali%3Ashare%3A1", ""},
		{"a member's posts, community", "listPosts", `{"author":"person:782bbtaQ"}`, community, "", "r_member_social"},
		{"a page's posts, community", "listPosts", `{"author":"organization:2414183"}`, community, "/rest/posts", ""},
		{"a page's posts, without r_organization_social", "listPosts", `{"author":"organization:2414183"}`, without(community, "r_organization_social"), "", "r_organization_social"},
		{"comments, self-serve", "listComments", `{"post":"share:1"}`, selfServe, "", "r_organization_social"},
		{"comment as a page without its scope", "addComment", `{"post":"share:1","actor":"organization:2414183","text":"hi"}`, without(community, "w_organization_social"), "", "w_organization_social"},
		{"unreact as a page, self-serve", "removeReaction", `{"post":"share:1","actor":"organization:2414183"}`, selfServe, "", "w_organization_social"},
		{"unreact as the member", "removeReaction", `{"post":"share:1","actor":"person:782bbtaQ"}`, selfServe, "/rest/reactions/", ""},
		{"pages, self-serve", "listOrganizations", `{}`, selfServe, "", "rw_organization_admin"},
		{"pages, community", "listOrganizations", `{}`, community, "/rest/organizationAcls", ""},
		{"media status, self-serve", "getMediaUploadStatus", `{"mediaCategory":"image","mediaId":"C5522AQGTYER3k3ByHQ"}`, selfServe, "/rest/images/", ""},
		{"a custom action is LinkedIn's to judge", "customAction", `{"method":"GET","path":"/rest/posts/urn:li:share:1"}`, selfServe, "/rest/posts/", ""},
		{"scopes unknown admit all", "getPost", `{"post":"share:1"}`, nil, "/rest/posts/", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			call, err := buildWith(t, tt.command, tt.params, tt.scopes)
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !strings.Contains(call.URL.EscapedPath(), tt.sent) {
					t.Fatalf("sent %s, want %s", call.URL.EscapedPath(), tt.sent)
				}
				return
			}
			if err == nil {
				t.Fatalf("sent %s %s, want refused for %s", call.Method, call.URL, tt.refused)
			}
			pe := plugin.AsError(err)
			if pe.Code != plugin.AuthorizationRequired || !strings.Contains(pe.Message, tt.refused) ||
				!strings.Contains(pe.Message, "Nothing was sent") || !strings.Contains(pe.Message, "(") {
				t.Fatalf("refusal %s: %s", pe.Code, pe.Message)
			}
			p, _ := facts.Lookup(tt.refused)
			if !strings.Contains(pe.Message, p.Product) {
				t.Errorf("refusal does not name the product granting %s: %s", tt.refused, pe.Message)
			}
		})
	}
}

// Every command's every example, on each kind of app and with each of its
// scopes missing, is sent to an endpoint of the table that the command
// lists, or refused before sending, naming a permission not granted.
func TestEveryCommandOnEveryAppKind(t *testing.T) {
	p := linkedin.Plugin()
	for _, kind := range p.AppKinds {
		cases := [][]string{kind.Default}
		for _, drop := range kind.Default {
			cases = append(cases, slices.DeleteFunc(slices.Clone(kind.Default), func(s string) bool { return s == drop }))
		}
		for _, cmd := range p.Commands {
			for _, ex := range cmd.Form.Examples {
				for _, scopes := range cases {
					call, err := buildWith(t, cmd.ID, string(ex.Params), scopes)
					if err != nil {
						pe := plugin.AsError(err)
						if pe.Code == plugin.InvalidInput && cmd.Upload {
							continue // the example sends its file as the body
						}
						named := false
						for _, perm := range facts.Permissions {
							named = named || !slices.Contains(scopes, perm.Scope) && strings.Contains(pe.Message, " "+perm.Scope+" (")
						}
						if pe.Code != plugin.AuthorizationRequired || !named {
							t.Errorf("%s %q on %s with %v: %s %s", cmd.ID, ex.Title, kind.ID, scopes, pe.Code, pe.Message)
						}
						continue
					}
					if cmd.ID == "customAction" {
						continue
					}
					key := p.Endpoint(call)
					if key == "" {
						t.Errorf("%s %q calls %s %s, which the table of facts lacks", cmd.ID, ex.Title, call.Method, call.URL)
					} else if !slices.Contains(cmd.Endpoints, key) {
						t.Errorf("%s %q calls %s, which it does not list among its endpoints %v", cmd.ID, ex.Title, key, cmd.Endpoints)
					}
				}
			}
		}
	}
}

// The table is whole: every endpoint a command lists is in it, each
// endpoint and permission cites LinkedIn's page, and each permission an
// endpoint names is one of the products'.
func TestFactsCiteLinkedIn(t *testing.T) {
	for _, cmd := range linkedin.Plugin().Commands {
		for _, key := range cmd.Endpoints {
			if facts.ByKey(key) == nil {
				t.Errorf("%s lists %s, which the table lacks", cmd.ID, key)
			}
		}
		for field, o := range cmd.Form.Options {
			for _, key := range o.Endpoints {
				if facts.ByKey(key) == nil {
					t.Errorf("%s.%s's options list %s, which the table lacks", cmd.ID, field, key)
				}
			}
		}
	}
	cited := func(what, source string) {
		u, err := url.Parse(source)
		if err != nil || u.Host != "learn.microsoft.com" || !strings.Contains(u.Path, "/linkedin/") {
			t.Errorf("%s cites %q, not a page of LinkedIn's documentation", what, source)
		}
	}
	for _, e := range facts.Endpoints {
		cited(e.Key(), e.Source)
		for _, scope := range e.Any() {
			if _, ok := facts.Lookup(scope); !ok {
				t.Errorf("%s names %s, which no product grants in the table", e.Key(), scope)
			}
		}
	}
	for _, p := range facts.Permissions {
		cited(p.Scope, p.Source)
	}
	for _, k := range facts.AppKinds {
		cited(k.ID, k.Source)
	}
}
