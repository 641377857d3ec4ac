package linkedin_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"pluginserver/plugin/linkedin"
)

// sharePostChoice is sharePost's content as its form declares it: one
// oneOf branch per content, each requiring its own property.
type sharePostChoice struct {
	Properties map[string]json.RawMessage `json:"properties"`
	OneOf      []struct {
		Title      string                     `json:"title"`
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
		Not        json.RawMessage            `json:"not"`
	} `json:"oneOf"`
}

func sharePostForm(t *testing.T) sharePostChoice {
	t.Helper()
	for _, c := range linkedin.Plugin().Commands {
		if c.ID == "sharePost" {
			var s sharePostChoice
			if err := json.Unmarshal(c.Form.Schema, &s); err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	t.Fatal("no sharePost")
	return sharePostChoice{}
}

// TestSharePostContentIsOneChoice: the content is a oneOf whose branches
// have titles, the first carrying none and each other requiring its own
// property, which the top level does not also declare (RJSF would show it
// twice); each branch's example passes the form and builds a request.
func TestSharePostContentIsOneChoice(t *testing.T) {
	s := sharePostForm(t)
	if len(s.OneOf) != 6 {
		t.Fatalf("%d content branches, want none + article, media, multiImage, poll, reshareOf", len(s.OneOf))
	}
	if s.OneOf[0].Title != "Text only" || len(s.OneOf[0].Properties) != 0 || s.OneOf[0].Not == nil {
		t.Errorf("first branch %+v, want Text only, with no property", s.OneOf[0])
	}
	// The plain text post is the Text only branch.
	if call, problems := run(t, "sharePost", `{"author":"person:1","commentary":"Just text"}`); call == nil {
		t.Errorf("text only refused: %v", problems)
	}
	var names []string
	for _, b := range s.OneOf[1:] {
		if b.Title == "" || len(b.Properties) != 1 || len(b.Required) != 1 || b.Properties[b.Required[0]] == nil {
			t.Errorf("branch %+v: want a title and one property it requires", b)
			continue
		}
		name := b.Required[0]
		names = append(names, name)
		if s.Properties[name] != nil {
			t.Errorf("%s is declared at the top level too", name)
		}
		var p struct {
			Examples []json.RawMessage `json:"examples"`
		}
		json.Unmarshal(b.Properties[name], &p)
		if len(p.Examples) == 0 {
			t.Errorf("%s has no example", name)
			continue
		}
		for _, ex := range p.Examples {
			params := fmt.Sprintf(`{"author":"person:1","commentary":"hi",%q:%s}`, name, ex)
			if call, problems := run(t, "sharePost", params); call == nil {
				t.Errorf("%s's example %s refused: %v", name, ex, problems)
			}
		}
	}
	if fmt.Sprint(names) != "[article media multiImage poll reshareOf]" {
		t.Errorf("contents %v", names)
	}
}

// TestSharePostRefusesTwoContents: two contents, in any pair, are refused
// naming the second, before the schema's oneOf (which names no field).
func TestSharePostRefusesTwoContents(t *testing.T) {
	contents := map[string]string{
		"article":    `{"source":"https://example.com/a"}`,
		"media":      `{"id":"image:1"}`,
		"multiImage": `{"images":[{"id":"image:1"},{"id":"image:2"}]}`,
		"poll":       `{"question":"Q?","options":["a","b"]}`,
		"reshareOf":  `"share:1"`,
	}
	order := []string{"article", "media", "multiImage", "poll", "reshareOf"}
	for i, first := range order {
		for _, second := range order[i+1:] {
			params := fmt.Sprintf(`{"author":"person:1","commentary":"hi",%q:%s,%q:%s}`, second, contents[second], first, contents[first])
			t.Run(first+"+"+second, func(t *testing.T) {
				refused(t, "sharePost", params, second, "cannot go with "+first+": a post carries one content at most")
			})
		}
	}
}

// TestSharePostLeavesOutEmptyContent: a content sent empty (as a form
// might) is dropped, an unknown field is still refused by name, and a
// poll with no duration lasts the three days its help text says.
func TestSharePostLeavesOutEmptyContent(t *testing.T) {
	call, problems := run(t, "sharePost", `{"author":"person:1","commentary":"hi","article":null,"media":{},"multiImage":{},"poll":null,"reshareOf":""}`)
	if call == nil {
		t.Fatalf("empty contents refused: %v", problems)
	}
	var body map[string]any
	json.Unmarshal(call.Body, &body)
	if body["content"] != nil || body["reshareContext"] != nil {
		t.Errorf("body %s carries a content", call.Body)
	}
	refused(t, "sharePost", `{"author":"person:1","commentary":"hi","image":{"id":"image:1"}}`, "image", "is not a known field")
	refused(t, "sharePost", `{"author":"person:1","commentary":"hi","article":{"title":"no source"}}`, "article.source", "is required")
	call, problems = run(t, "sharePost", `{"author":"person:1","poll":{"question":"Q?","options":["a","b"]}}`)
	if call == nil {
		t.Fatalf("poll refused: %v", problems)
	}
	json.Unmarshal(call.Body, &body)
	if d := fmt.Sprint(body["content"]); d != "map[poll:map[options:[map[text:a] map[text:b]] question:Q? settings:map[duration:THREE_DAYS]]]" {
		t.Errorf("poll content %s", d)
	}
	s := sharePostForm(t)
	var poll struct {
		Properties struct {
			Duration struct {
				Default     string `json:"default"`
				Description string `json:"description"`
			} `json:"duration"`
		} `json:"properties"`
	}
	json.Unmarshal(s.OneOf[4].Properties["poll"], &poll)
	if d := poll.Properties.Duration; d.Default != "THREE_DAYS" {
		t.Errorf("poll duration default %q, want THREE_DAYS as the server sends when empty (%q)", d.Default, d.Description)
	}
}
