package linkedin

import (
	"strings"
	"testing"
)

// FuzzLittleText: any text, with or without a mention, becomes little text
// that reads back as typed and leaves no reserved character bare outside
// hashtags, mentions and URLs.
func FuzzLittleText(f *testing.F) {
	seeds := []struct{ text, name string }{
		{"Hello World!", ""},
		{"Shipped v1.0 (finally) #release", ""},
		{"I write C# and F#. # 1", ""},
		{"(see https://example.com/a_b).", ""},
		{"https://en.wikipedia.org/wiki/Go_(programming_language))", ""},
		{"<https://x.com/a?b=c_d#e>*", ""},
		{`C:\path\to \#tag \\( \`, ""},
		{"@[a](b) @[a](urn:li:person:1)", ""},
		{"https://x.com/@[y](z) https://\\x", ""},
		{"a\xff#\xff( \xe2\x80", ""},
		{"#café_ 🚀 #_x #1", ""},
		{"Thanks @Jane Doe!", "Jane Doe"},
		{"Proud of @Acme Corp (EU)", "Acme Corp (EU)"},
		{"https://example.com/@Jane_x", "Jane"},
		{"#tag@Jane", "Jane"},
		{"no mention here", "Jane"},
		{"@]\\(", "]\\("},
	}
	for _, s := range seeds {
		f.Add(s.text, s.name)
	}
	f.Fuzz(func(t *testing.T, text, name string) {
		little, err := littleText(text, nil)
		if err != nil {
			t.Fatalf("littleText(%q, nil): %v", text, err)
		}
		checkLittle(t, text, little)

		if name == "" {
			return
		}
		m := mention{Name: name, URN: "urn:li:person:fuzz"}
		little, err = littleText(text, []mention{m})
		if present := strings.Contains(text, "@"+name); present != (err == nil) {
			t.Fatalf("littleText(%q, @%q): err = %v, mention in text: %v", text, name, err, present)
		}
		if err != nil {
			return
		}
		if !strings.Contains(little, "@["+escapeLittle(name)+"]("+m.URN+")") {
			t.Fatalf("littleText(%q, @%q) = %q has no mention", text, name, little)
		}
		checkLittle(t, text, little)
	})
}
