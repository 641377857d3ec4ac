package linkedin

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"pluginserver/plugin"
)

// The reserved characters as the little Text Format page lists them, kept
// apart from the code's own list so that a change there shows here.
const docReserved = `|{}@[]()<>#\*_~`

var (
	jane = mention{Name: "Jane Doe", URN: "urn:li:person:782bbtaQ"}
	acme = mention{Name: "Acme Corp (EU)", URN: "urn:li:organization:2414183"}
)

func TestLittleText(t *testing.T) {
	tests := []struct {
		name, text string
		mentions   []mention
		want       string
	}{
		{"plain", "Hello World!", nil, "Hello World!"},
		{"parens", "Shipped v1.0 (finally)", nil, `Shipped v1.0 \(finally\)`},
		{"every other reserved", "[draft] a|b {x} <y> *z* ~w~", nil, `\[draft\] a\|b \{x\} \<y\> \*z\* \~w\~`},
		{"underscores in words", "snake_case and __init__", nil, `snake\_case and \_\_init\_\_`},
		{"C#", "I write C# and F#.", nil, `I write C\# and F\#.`},
		{"hashtag", "Day 1 #100DaysOfCode", nil, "Day 1 #100DaysOfCode"},
		{"# alone", "#", nil, `\#`},
		{"# then space", "# 1 and issue #5", nil, `\# 1 and issue #5`},
		{"hashtag with underscore", "#my_tag but #_x", nil, `#my_tag but \#\_x`},
		{"unicode hashtags", "#café #日本", nil, "#café #日本"},
		{"backslash before hashtag", `\#tag`, nil, `\\#tag`},
		{"url with query and underscores", "See https://example.com/a_b?x=1&y_z=2#frag now", nil, "See https://example.com/a_b?x=1&y_z=2#frag now"},
		{"url in parens", "(see https://example.com/a_b)", nil, `\(see https://example.com/a_b\)`},
		{"url before a period", "Read https://example.com/x_y.", nil, "Read https://example.com/x_y."},
		{"url with balanced parens", "https://en.wikipedia.org/wiki/Go_(programming_language)", nil, "https://en.wikipedia.org/wiki/Go_(programming_language)"},
		{"url in angle brackets", "<https://example.com>", nil, `\<https://example.com\>`},
		{"url in emphasis", "*https://example.com*", nil, `\*https://example.com\*`},
		{"url with @", "https://medium.com/@jane/post_1", nil, "https://medium.com/@jane/post_1"},
		{"capital scheme", "Https://example.com/a_b", nil, "Https://example.com/a_b"},
		{"scheme alone", "https:// (no host)", nil, `https:// \(no host\)`},
		{"email", "write to me@example.com", nil, `write to me\@example.com`},
		{"emoji", "Launch day 🚀 (finally) 🎉", nil, `Launch day 🚀 \(finally\) 🎉`},
		{"backslashes", `C:\path\to`, nil, `C:\\path\\to`},
		{"looks escaped", `\(already\)`, nil, `\\\(already\\\)`},
		{"mention typed literally", "@[a](b)", nil, `\@\[a\]\(b\)`},
		{"lines", "line1\n#tag\nline_3", nil, "line1\n#tag\nline\\_3"},
		{"invalid utf-8", "a\xff#\xff(", nil, "a\xff\\#\xff\\("},
		{"person", "Thanks @Jane Doe!", []mention{jane}, "Thanks @[Jane Doe](urn:li:person:782bbtaQ)!"},
		{"organization with reserved name", "Proud of @Acme Corp (EU) today", []mention{acme}, `Proud of @[Acme Corp \(EU\)](urn:li:organization:2414183) today`},
		{"first occurrence only", "@Jane Doe, @Jane Doe", []mention{jane}, `@[Jane Doe](urn:li:person:782bbtaQ), \@Jane Doe`},
		{"longer name first", "@Jane and @Jane Doe", []mention{{"Jane", "urn:li:person:1"}, jane},
			"@[Jane](urn:li:person:1) and @[Jane Doe](urn:li:person:782bbtaQ)"},
		{"mention after url", "https://example.com @Jane Doe #hiring", []mention{jane},
			"https://example.com @[Jane Doe](urn:li:person:782bbtaQ) #hiring"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := littleText(tt.text, tt.mentions)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("littleText(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
			checkLittle(t, tt.text, got)
		})
	}
}

func TestLittleTextMentionErrors(t *testing.T) {
	tests := []struct {
		name, text string
		mentions   []mention
		want       string
	}{
		{"missing", "Thanks Jane Doe!", []mention{jane}, `"@Jane Doe" does not appear in the text; write it there where the mention goes`},
		{"case differs", "Thanks @jane doe!", []mention{jane}, `"@Jane Doe" does not appear in the text; write it there where the mention goes`},
		{"taken by a longer name", "@Jane Doe", []mention{{"Jane", "urn:li:person:1"}, jane}, `"@Jane" does not appear in the text; write it there where the mention goes`},
		{"no name", "@", []mention{{"", "urn:li:person:1"}}, "the mention of urn:li:person:1 has no name: give the name the text shows after @"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := littleText(tt.text, tt.mentions)
			var pe *plugin.Error
			if !errors.As(err, &pe) || pe.Code != plugin.InvalidInput || len(pe.Fields) != 1 {
				t.Fatalf("err = %v, want one invalid field", err)
			}
			if f := pe.Fields[0]; f.Field != "mentions" || f.Message != tt.want {
				t.Fatalf("field %s: %q, want mentions: %q", f.Field, f.Message, tt.want)
			}
		})
	}
}

func TestLittleLength(t *testing.T) {
	tests := []struct {
		little string
		want   int
	}{
		{"", 0},
		{"Hello", 5},
		{`\(x\)`, 3},
		{`\\`, 1},
		{`C\#`, 2},
		{"#100DaysOfCode", 14},
		{"🚀 é 日本", 6},
		{"https://example.com/a_b", 23},
		{"@[Jane Doe](urn:li:person:782bbtaQ)", 9},
		{`@[Acme Corp \(EU\)](urn:li:organization:2414183)`, 15},
	}
	for _, tt := range tests {
		if got := littleLength(tt.little); got != tt.want {
			t.Errorf("littleLength(%q) = %d, want %d", tt.little, got, tt.want)
		}
	}
	// A post of 3,000 reserved characters is twice as long on the wire and
	// as long as typed to the reader.
	text := strings.Repeat("(", 3000)
	little, _ := littleText(text, nil)
	if len(little) != 6000 || littleLength(little) != 3000 {
		t.Errorf("3000 parens: %d bytes, littleLength %d", len(little), littleLength(little))
	}
}

func TestLittleReservedMatchesTheDocs(t *testing.T) {
	if len(littleReserved) != len(docReserved) {
		t.Fatalf("littleReserved = %q, the docs list %q", littleReserved, docReserved)
	}
	for _, c := range docReserved {
		if !strings.ContainsRune(littleReserved, c) {
			t.Errorf("littleReserved lacks %q", c)
		}
	}
}

// checkLittle asserts what must hold of every little text made from text:
// it reads back as text, no reserved character is left bare, and its length
// is what was typed.
func checkLittle(t *testing.T, text, little string) {
	t.Helper()
	if back := plainText(little); back != text {
		t.Fatalf("plainText(littleText(%q)) = %q", text, back)
	}
	if at := bareReserved(little); at >= 0 {
		t.Fatalf("littleText(%q) = %q leaves %q bare at %d", text, little, little[at], at)
	}
	if got, want := littleLength(little), utf8.RuneCountInString(text); got != want {
		t.Fatalf("littleLength(%q) = %d, want %d", little, got, want)
	}
}

var (
	// A mention whose name escapes every reserved character and whose URN
	// is a person or a page.
	mentionRE = regexp.MustCompile(`^@\[(?:\\[|{}@\[\]()<>#\\*_~]|[^|{}@\[\]()<>#\\*_~])*\]\(urn:li:(?:person|organization):[^)]+\)`)
	hashtagRE = regexp.MustCompile(`^#[\p{L}\p{Nd}][\p{L}\p{Nd}_]*`)
)

// bareReserved is the offset of the first reserved character in little that
// is neither escaped nor inside a hashtag, a mention or a URL, or of a
// backslash that escapes nothing; -1 if there is none.
func bareReserved(little string) int {
	for i := 0; i < len(little); {
		s := little[i:]
		switch {
		case s[0] == '\\':
			if len(s) < 2 || strings.IndexByte(docReserved, s[1]) < 0 {
				return i
			}
			i += 2
		case mentionRE.MatchString(s):
			i += len(mentionRE.FindString(s))
		case hashtagRE.MatchString(s):
			i += len(hashtagRE.FindString(s))
		case urlLen(s) > 0:
			i += urlLen(s)
		case strings.IndexByte(docReserved, s[0]) >= 0:
			return i
		default:
			i++
		}
	}
	return -1
}
