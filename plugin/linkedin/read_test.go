package linkedin

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The pattern authorURN replaced, kept here as its specification.
var authorPattern = regexp.MustCompile(`^(?:urn:li:)?(person|organization):([A-Za-z0-9_-]+)$`)

func TestAuthorURNAgreesWithItsPattern(t *testing.T) {
	for _, author := range []string{
		"person:782bbtaQ", "organization:2414183", "urn:li:person:782bbtaQ", "urn:li:organization:2414183",
		"person:a_b-C9", "person:", "person", "organization:12:3", "company:1", "123456789", "",
		"urn:li:urn:li:person:1", "urn:li:", "urn:li:person:", "URN:LI:person:1", "person:1 ", " person:1",
		"person:é", "urn:li:sponsoredAccount:1", "person:1\n", "urn:li:person:1:2",
	} {
		got, err := authorURN(author)
		m := authorPattern.FindStringSubmatch(author)
		switch {
		case m == nil && err == nil:
			t.Errorf("authorURN(%q) = %q, want a refusal", author, got)
		case m != nil && err != nil:
			t.Errorf("authorURN(%q): %v, want %q", author, err, "urn:li:"+m[1]+":"+m[2])
		case m != nil && got != "urn:li:"+m[1]+":"+m[2]:
			t.Errorf("authorURN(%q) = %q, want %q", author, got, "urn:li:"+m[1]+":"+m[2])
		}
	}
}

func FuzzAuthorURN(f *testing.F) {
	for _, s := range []string{"person:1", "urn:li:organization:a-b_C", "company:1", "urn:li:person:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, author string) {
		got, err := authorURN(author)
		if m := authorPattern.FindStringSubmatch(author); m == nil {
			if err == nil {
				t.Fatalf("authorURN(%q) = %q, want a refusal", author, got)
			}
		} else if want := "urn:li:" + m[1] + ":" + m[2]; got != want {
			t.Fatalf("authorURN(%q) = %q, %v, want %q", author, got, err, want)
		}
	})
}

func TestPinnedVersionAgreesWithParseConfig(t *testing.T) {
	for _, config := range []string{
		``, `null`, `{}`, `{"linkedinVersion":"202610"}`,
		`{"scopes":["openid","profile"],"linkedinVersion":"202611","clientId":"86ab","readCacheSeconds":60}`,
		`{"scopes":["openid"]}`, `{"linkedinVersion":""}`, `{"linkedinVersion":null}`,
		`{"linkedinVersion":"2026\u0031"}`, `{"linkedinVersion":"202610","linkedinVersion":"202611"}`,
		`{"LinkedinVersion":"202612"}`, `{"other":1,"linkedinVersion":"202609"}`, `{"linkedinVersion":202610}`,
		`[]`, `"202610"`, `{"linkedinVersion":"202610"`,
	} {
		if got, want := pinnedVersion(json.RawMessage(config)), ParseConfig(json.RawMessage(config)).LinkedInVersion; got != want {
			t.Errorf("pinnedVersion(%s) = %q, want %q as ParseConfig reads it", config, got, want)
		}
	}
}

// A Config member pinnedVersion does not know sends every config that
// has it to the slower ParseConfig.
func TestConfigMembersAreConfigs(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[Config]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
	}
	if got := slices.Sorted(slices.Values(configMembers[:])); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		t.Errorf("configMembers %v, Config's members %v", got, names)
	}
}
