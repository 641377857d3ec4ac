package linkedin

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"pluginserver/plugin"
)

// Little text is the format of the Posts API commentary and of a Comments API
// message ("little Text Format", learn.microsoft.com/linkedin/marketing/
// community-management/shares/little-text-format). Its grammar reserves these
// characters and LinkedIn wants every one backslash-escaped, "even if those
// characters are not used in one of the supported elements"; a bare one cuts
// the published post short although the API answers 201.
const littleReserved = `|{}@[]()<>#\*_~`

// mention is a member or page named in text: its display name and full URN
// (urn:li:person:… or urn:li:organization:…, already validated by the caller).
// LinkedIn writes it @[Name](urn); the name is Text in the grammar, so its
// reserved characters are escaped like any other.
type mention struct {
	Name string `json:"name"`
	URN  string `json:"urn"`
}

// littleText turns plain text into little text that reads exactly as typed:
// every reserved character escaped, except `#word` hashtags (stay hashtags)
// and http(s) URLs (stay links, not escaped; a URL ends at whitespace, and
// trailing punctuation like `.`, `,`, `!`, `?`, `:`, `;` and an unbalanced `)` is
// not part of it). Each mention replaces the first `@Name` in the text (exact
// match of "@"+Name) by `@[Name](urn)` with the name escaped as little text
// requires; a mention whose `@Name` is not in the text is an error.
//
// The text is read as bytes, so invalid UTF-8 passes through unchanged.
func littleText(text string, mentions []mention) (string, error) {
	spans, err := mentionSpans(text, mentions)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		end := len(text)
		if len(spans) > 0 {
			end = spans[0].at
		}
		if i == end {
			m := spans[0].m
			b.WriteString("@[" + escapeLittle(m.Name) + "](" + m.URN + ")")
			i += 1 + len(m.Name)
			spans = spans[1:]
			continue
		}
		// A URL stops where a mention starts, as it stops at the "@[" of
		// the mention in the output: plainText must find the same URL.
		if n := max(urlLen(text[i:end]), hashtagLen(text[i:end])); n > 0 {
			b.WriteString(text[i : i+n])
			i += n
			continue
		}
		if strings.IndexByte(littleReserved, text[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(text[i])
		i++
	}
	return b.String(), nil
}

// plainText is the inverse for what littleText produced: escapes removed and
// each `@[Name](urn)` shown as `@Name`. plainText(littleText(x, nil)) == x for every x.
// It reads the text with the same rules as littleText, so that a URL or a
// hashtag, copied verbatim, is copied back verbatim.
func plainText(little string) string {
	var b strings.Builder
	for i := 0; i < len(little); {
		s := little[i:]
		if len(s) > 1 && s[0] == '\\' && strings.IndexByte(littleReserved, s[1]) >= 0 {
			b.WriteByte(s[1])
			i += 2
			continue
		}
		if name, n := parseMention(s); n > 0 {
			b.WriteString("@" + name)
			i += n
			continue
		}
		n := max(1, urlLen(s), hashtagLen(s))
		b.WriteString(s[:n])
		i += n
	}
	return b.String()
}

// littleLength is the length LinkedIn checks its limits against for a little
// text (as LinkedIn documents it; if it counts what the reader sees, count that).
//
// LinkedIn's pages give no counting rule (the API pages give no number at
// all; the 3,000 for a post is the product's), so this counts what the reader
// sees, in code points like the form's maxLength: escapes count nothing and
// a mention counts as "@Name", one more than LinkedIn shows, on the safe side.
func littleLength(little string) int {
	return utf8.RuneCountInString(plainText(little))
}

type mentionSpan struct {
	at int // offset of the "@" in the text
	m  mention
}

// mentionSpans finds where each mention goes, in text order. Longer names
// claim their place first, so "@Jane Doe" is not taken for a mention of
// "Jane"; two mentions never share a character.
func mentionSpans(text string, mentions []mention) ([]mentionSpan, error) {
	order := slices.Clone(mentions)
	slices.SortStableFunc(order, func(a, b mention) int { return len(b.Name) - len(a.Name) })
	var spans []mentionSpan
	for _, m := range order {
		if m.Name == "" {
			return nil, plugin.InvalidField("mentions", "the mention of %s has no name: give the name the text shows after @", m.URN)
		}
		at := -1
		for from := 0; at < 0; from++ {
			i := strings.Index(text[from:], "@"+m.Name)
			if i < 0 {
				return nil, plugin.InvalidField("mentions", "%q does not appear in the text; write it there where the mention goes", "@"+m.Name)
			}
			from += i
			if !slices.ContainsFunc(spans, func(s mentionSpan) bool {
				return from < s.at+1+len(s.m.Name) && s.at < from+1+len(m.Name)
			}) {
				at = from
			}
		}
		spans = append(spans, mentionSpan{at, m})
	}
	slices.SortFunc(spans, func(a, b mentionSpan) int { return a.at - b.at })
	return spans, nil
}

// parseMention reads the @[Name](urn) that s starts with: the name with its
// escapes removed, and the mention's length in s (0 if s starts with none).
func parseMention(s string) (name string, n int) {
	if !strings.HasPrefix(s, "@[") {
		return "", 0
	}
	var b strings.Builder
	for i := 2; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && strings.IndexByte(littleReserved, s[i+1]) >= 0:
			i++
			b.WriteByte(s[i])
		case s[i] == ']':
			urn, ok := strings.CutPrefix(s[i+1:], "(")
			end := strings.IndexByte(urn, ')')
			if !ok || end < 0 {
				return "", 0
			}
			return b.String(), i + 2 + end + 1
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0
}

// escapeLittle escapes every reserved character: the text of a mention's
// name has no hashtags or links of its own.
func escapeLittle(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(littleReserved, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hashtagLen is the length of the hashtag s starts with, or 0. The grammar's
// HashtagElement is '#' SINGLE_WORD: here a letter or digit, then letters,
// digits and underscores, none of them escaped.
func hashtagLen(s string) int {
	if !strings.HasPrefix(s, "#") {
		return 0
	}
	n := 1
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && (r != '_' || n == 1) {
			break
		}
		n += size
	}
	if n == 1 {
		return 0
	}
	return n
}

// urlLen is the length of the http(s) URL s starts with, or 0. Little text
// has no link element: LinkedIn links a URL it finds, so it goes verbatim.
// It ends at whitespace, and also at a backslash or "@[", so that it never
// swallows an escape or a mention and reads the same in plain and little
// text. Sentence punctuation, quotes, a closing `*` or `>`, and a `)` the URL
// did not open, at its end, belong to the text around it.
func urlLen(s string) int {
	start := 0
	for _, scheme := range []string{"https://", "http://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			start = len(scheme)
			break
		}
	}
	if start == 0 {
		return 0
	}
	end := start
	for end < len(s) && s[end] != '\\' && !strings.HasPrefix(s[end:], "@[") {
		r, size := utf8.DecodeRuneInString(s[end:])
		if unicode.IsSpace(r) {
			break
		}
		end += size
	}
	opened, closed := strings.Count(s[start:end], "("), strings.Count(s[start:end], ")")
	for end > start {
		c := s[end-1]
		if c == ')' && closed > opened {
			closed--
		} else if strings.IndexByte(`.,!?:;'"*>`, c) < 0 {
			break
		}
		end--
	}
	if end == start {
		return 0
	}
	return end
}
