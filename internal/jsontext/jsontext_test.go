package jsontext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// createPost is a typical execute body, about 300 bytes: the hot path.
const createPost = `{"command":"createPost","params":{"author":"urn:li:person:782bbtaQ","lifecycleState":"PUBLISHED",` +
	`"text":"Our spring release is out today 🎉\nFaster uploads, \"drafts\" that sync, and a new C:\\exports folder. Read more: https://example.com/blog/spring?utm_source=linkedin #release",` +
	`"visibility":"PUBLIC"}}`

// manyKeys is an object of n distinct keys, then extra.
func manyKeys(n int, extra string) string {
	var b strings.Builder
	b.WriteString(`{"params":{`)
	for i := range n {
		fmt.Fprintf(&b, `"key%d":%d,`, i, i)
	}
	b.WriteString(extra + `}}`)
	return b.String()
}

// accepted are documents Check lets through.
var accepted = []struct{ name, doc string }{
	{"empty object", `{}`},
	{"empty array", `[]`},
	{"typical body", createPost},
	{"scalars", `{"a":1,"b":-2.5e+3,"c":true,"d":false,"e":null,"f":[0,1E2]}`},
	{"whitespace everywhere", " {\n\t\"a\" :\r\n [ 1 , \"x\" ] , \"b\" : { } } "},
	{"raw emoji", `{"text":"Hello 🎉👍🏽"}`},
	{"escaped emoji", `{"text":"\ud83d\ude00"}`},
	{"escaped emoji in upper case", `{"text":"\uD83D\uDE00"}`},
	{"escaped quotes and backslashes", `{"text":"say \"hi\" \\ and \\\\ and \/"}`},
	{"escaped tab CR LF", `{"text":"a\tb\rc\nd"}`},
	{"tab CR LF as unicode escapes", `{"text":"a\u0009b\u000Dc\u000ad"}`},
	{"backslash before u is not an escape", `{"text":"C:\\u0000"}`},
	{"a real U+FFFD, raw and escaped", `{"text":"� \ufffd"}`},
	{"DEL and C1 are not C0", "{\"text\":\"\x7f \u0085\"}"},
	{"other BMP escapes", `{"text":"\u00e9\u4e2d\uFFFF\u0020"}`},
	{"nested arrays and objects", `{"a":[[[{"b":[{"c":"d"}]}]],[]],"e":{"f":{"g":[1,{"h":"i"}]}}}`},
	{"same key in sibling objects", `{"media":[{"title":"a"},{"title":"b"}]}`},
	{"same key at two levels", `{"a":{"a":{"a":1}}}`},
	{"keys that only look alike", `{"ab":1,"a":2,"b":3,"aB1":4,"ä":5,"a\u0301":6}`},
	{"a key escaped differently from a distinct one", `{"a":1,"\u0062":2}`},
	{"sixteen keys", manyKeys(16, `"last":1`)},
	{"many keys", manyKeys(200, `"last":1`)},
	{"a document that is a string", `"just text"`},
}

func TestCheckAcceptsText(t *testing.T) {
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid([]byte(tt.doc)) {
				t.Fatalf("the case is not JSON: %s", tt.doc)
			}
			if p := Check([]byte(tt.doc)); p != nil {
				t.Fatalf("Check(%s) = %+v, want nil", tt.doc, *p)
			}
		})
	}
}

// The messages the refused documents are given.
const (
	wantNUL      = "holds a NUL character (U+0000), which LinkedIn cannot take"
	wantESC      = "holds a control character (U+001B)"
	wantUTF8     = "is not valid UTF-8"
	wantTwice    = "is given twice"
	wantKeyNUL   = "is a key that " + wantNUL
	wantKeyUTF8  = "is a key that " + wantUTF8
	wantLone     = `holds a lone surrogate (\ud800)`
	wantLoneLow  = `holds a lone surrogate (\udc00)`
	wantLoneHigh = `holds a lone surrogate (\ud83d)`
)

// refused are documents Check refuses, with the field and message.
var refused = []struct{ name, doc, field, message string }{
	{"escaped NUL", `{"command":"createPost","params":{"text":"a\u0000b"}}`, "params.text", wantNUL},
	{"raw NUL", "{\"params\":{\"text\":\"a\x00b\"}}", "params.text", wantNUL},
	{"escaped ESC", `{"params":{"text":"\u001b[31mred"}}`, "params.text", wantESC},
	{"raw ESC", "{\"params\":{\"text\":\"\x1b[31m\"}}", "params.text", wantESC},
	{"escape in upper case", `{"text":"\u001F"}`, "text", "holds a control character (U+001F)"},
	{"backspace escape", `{"text":"a\bb"}`, "text", "holds a control character (U+0008)"},
	{"form feed escape", `{"text":"a\fb"}`, "text", "holds a control character (U+000C)"},
	{"vertical tab", `{"text":"\u000b"}`, "text", "holds a control character (U+000B)"},
	{"invalid byte", "{\"text\":\"a\xffb\"}", "text", wantUTF8},
	{"cut-off sequence", "{\"text\":\"\xe2\x82\"}", "text", wantUTF8},
	{"overlong slash", "{\"text\":\"\xc0\xaf\"}", "text", wantUTF8},
	{"surrogate encoded as UTF-8", "{\"text\":\"\xed\xa0\x80\"}", "text", wantUTF8},
	{"lone high surrogate", `{"text":"\ud800"}`, "text", wantLone},
	{"high surrogate then text", `{"text":"\ud800x"}`, "text", wantLone},
	{"high surrogate then a BMP escape", `{"text":"\ud800\u0041"}`, "text", wantLone},
	{"two high surrogates", `{"text":"\ud800\ud800"}`, "text", wantLone},
	{"high surrogate then an escaped backslash", `{"text":"\ud800\\udc00"}`, "text", wantLone},
	{"half an emoji at the end", `{"text":"smile \ud83d"}`, "text", wantLoneHigh},
	{"lone low surrogate", `{"text":"\udc00"}`, "text", wantLoneLow},
	{"low then high", `{"text":"\udc00\ud800"}`, "text", wantLoneLow},
	{"upper-case surrogate named in lower case", `{"text":"\uD800"}`, "text", wantLone},
	{"deep in arrays and objects", `{"params":{"media":[{"title":"ok"},{"title":"x\u0000"}]}}`, "params.media.1.title", wantNUL},
	{"nested arrays", `{"a":[1,"x",["y","\u001b"]]}`, "a.2.1", wantESC},
	{"after a closed object", `{"a":{"b":"c"},"d":{"e":"\u0000"}}`, "d.e", wantNUL},
	{"array at the top", `["ok","\u0000"]`, "1", wantNUL},
	{"a string at the top", `"\u0000"`, "body", wantNUL},
	{"the first problem wins", `{"a":"\u001b","b":"\u0000"}`, "a", wantESC},
	{"duplicated key", `{"command":"getUserInfo","command":"createPost"}`, "command", wantTwice},
	{"duplicated nested key", `{"command":"createPost","params":{"text":"a","visibility":"PUBLIC","text":"b"}}`, "params.text", wantTwice},
	{"duplicated through an escape", `{"a":1,"\u0061":2}`, "a", wantTwice},
	{"duplicated in an array's object", `{"m":[{"a":1},{"b":1,"b":2}]}`, "m.1.b", wantTwice},
	{"duplicated in case only", `{"command":"getUserInfo","Command":"createPost"}`, "Command", wantTwice + `, as "command" and as "Command"`},
	{"duplicated as the Kelvin sign", `{"k":1,"\u212a":2}`, "\u212a", wantTwice + ", as \"k\" and as \"\u212a\""},
	{"duplicated past sixteen keys", manyKeys(40, `"key3":1`), "params.key3", wantTwice},
	{"duplicated in case past sixteen keys", manyKeys(40, `"KEY39":1`), "params.KEY39", wantTwice + `, as "key39" and as "KEY39"`},
	{"duplicated the seventeenth", manyKeys(16, `"x":1,"x":2`), "params.x", wantTwice},
	{"key with a NUL", `{"params":{"a\u0000b":1}}`, `params.a\u0000b`, wantKeyNUL},
	{"key with a raw NUL", "{\"params\":{\"a\x00b\":1}}", `params.a\u0000b`, wantKeyNUL},
	{"key with invalid UTF-8", "{\"k\xff\\u00e9\":1}", `k\xffé`, wantKeyUTF8},
	{"key with a lone surrogate", `{"x\ud800":1}`, `x\ud800`, "is a key that " + wantLone},
	{"duplicated after a large object inside a large one", `{"o":` + manyKeys(20, `"in":`+manyKeys(20, `"x":1`)+`,"key3":1`) + `}`, "o.params.key3", wantTwice},
	{"duplicated in a large object after a large sibling", `[` + manyKeys(19, `"key19":1`) + `,` + manyKeys(20, `"KEY0":1`) + `]`, "1.params.KEY0", wantTwice + `, as "key0" and as "KEY0"`},
	{"duplicated 60 deep", strings.Repeat(`{"a":[`, 30) + `{"b":1,"B":2}` + strings.Repeat(`]}`, 30), strings.Repeat("a.0.", 30) + "B", wantTwice + `, as "b" and as "B"`},
	{"a NUL 9,998 deep", strings.Repeat(`{"a":[`, 4999) + `"\u0000"` + strings.Repeat(`]}`, 4999), strings.Repeat("a.0.", 4998) + "a.0", wantNUL},
	{"key problem before its duplicate", `{"a\u0000":1,"a\u0000":2}`, `a\u0000`, wantKeyNUL},
}

func TestCheckRefusesText(t *testing.T) {
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			p := Check([]byte(tt.doc))
			if p == nil {
				t.Fatalf("Check(%q) = nil, want %s: %s", tt.doc, tt.field, tt.message)
			}
			if p.Field != tt.field || p.Message != tt.message {
				t.Fatalf("Check(%q) = %q: %q, want %q: %q", tt.doc, p.Field, p.Message, tt.field, tt.message)
			}
		})
	}
}

// TestCheckLeavesSyntaxToTheDecoder: a document that is not JSON is the
// decoder's to refuse, and Check must neither panic nor loop on it.
// notJSON are documents that are not JSON, left to the decoder.
var notJSON = []string{
	``, `   `, `{`, `{"a"`, `{"a":`, `{"a":"b`, `{"a":"\`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`,
	`{a:1}`, `{"a" 1}`, `[1,]`, `[1 2]`, `}`, `]`, `{"a":1]`, `[1}`, "{\"a\":\"tab\there\"}",
	`{"a":@}`, `{"a":1}{"b":"\u0000"}`, strings.Repeat(`[`, maxDepth+1) + `"\u0000"`,
}

func TestCheckLeavesSyntaxToTheDecoder(t *testing.T) {
	for _, doc := range notJSON {
		if p := Check([]byte(doc)); p != nil {
			t.Errorf("Check(%q) = %+v, want nil", doc, *p)
		}
		if json.Valid([]byte(doc)) {
			t.Errorf("the case %q is JSON", doc)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct{ name, s, want string }{
		{"empty", "", ""},
		{"plain", "person:782bbtaQ", ""},
		{"tab CR LF", "a\tb\r\nc", ""},
		{"emoji and accents", "Grüße 🎉", ""},
		{"a real U+FFFD", "\ufffd", ""},
		{"DEL", "\x7f", ""},
		{"NUL", "a\x00", "holds a NUL character (U+0000), which LinkedIn cannot take"},
		{"ESC", "\x1b[0m", "holds a control character (U+001B)"},
		{"unit separator", "\x1f", "holds a control character (U+001F)"},
		{"invalid byte", "a\xff", "is not valid UTF-8"},
		{"surrogate encoded as UTF-8", "\xed\xb0\x80", "is not valid UTF-8"},
		{"cut-off sequence", "\xf0\x9f\x8e", "is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.s); got != tt.want {
				t.Fatalf("String(%q) = %q, want %q", tt.s, got, tt.want)
			}
		})
	}
}

func TestCheckAllocatesNothing(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"typical body", createPost},
		{"sixteen keys", manyKeys(15, `"last":1`)},
		{"escaped keys", `{"\u0061":{"b\n":[1,{"c":"\ud83d\ude00"}]},"A\u00e9":1}`},
		{"nested 30 deep", strings.Repeat(`{"a":[`, 15) + `1` + strings.Repeat(`]}`, 15)},
		// Past its buffers Check takes stacks from a pool, so once the
		// pool holds them a deep document allocates nothing either.
		{"nested 9,998 deep", deep},
	}
	for _, tt := range tests {
		if raceDetector && tt.doc == deep {
			continue // the pool drops stacks at random
		}
		doc := []byte(tt.doc)
		if n := testing.AllocsPerRun(100, func() { Check(doc) }); n != 0 {
			t.Errorf("%s: %v allocations per Check, want 0", tt.name, n)
		}
	}
}

// FuzzCheck: whatever Check lets through of a JSON document decodes
// without loss: no U+FFFD that the document did not hold, no member
// dropped as a duplicate, no control character. And whatever it refuses
// holds one of those, or keys alike but for case.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{
		createPost, `{"a":"\u0000"}`, `{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`, "{\"a\":\"\xff\"}", `{"a":1,"a":2}`,
		`{"a":1,"A":2}`, `[{"a":[1,{"b":"\t"}]}]`, `{"\u0061":1,"a":2}`, `"\ufffd"`, "\"\xef\xbf\xbd\"", manyKeys(20, `"key1":1`),
		`{"x":"\\ud800"}`, `{"k":1,"\u212a":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p := Check(doc)
		if p != nil && (p.Field == "" || p.Message == "") {
			t.Fatalf("a problem without a field or message: %+v", *p)
		}
		if !json.Valid(doc) {
			return
		}
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatalf("valid JSON does not decode: %v", err)
		}
		var got walked
		got.walk(v)
		replaced := got.replacements != replacementsIn(doc)
		dropped := got.members != membersIn(doc)
		if p == nil {
			switch {
			case replaced:
				t.Fatalf("Check passed %q, which decodes with %d U+FFFD for %d", doc, got.replacements, replacementsIn(doc))
			case dropped:
				t.Fatalf("Check passed %q, which decodes with %d members for %d", doc, got.members, membersIn(doc))
			case got.control:
				t.Fatalf("Check passed %q, which holds a control character", doc)
			}
			return
		}
		if !replaced && !dropped && !got.control && !got.alike {
			t.Fatalf("Check refused %q (%+v), which decodes without loss", doc, *p)
		}
	})
}

// walked is what a decoded document holds.
type walked struct {
	replacements, members int
	control, alike        bool
}

func (w *walked) walk(v any) {
	switch v := v.(type) {
	case string:
		w.text(v)
	case []any:
		for _, e := range v {
			w.walk(e)
		}
	case map[string]any:
		w.members += len(v)
		keys := make([]string, 0, len(v))
		for k, e := range v {
			w.text(k)
			for _, other := range keys {
				w.alike = w.alike || strings.EqualFold(k, other)
			}
			keys = append(keys, k)
			w.walk(e)
		}
	}
}

func (w *walked) text(s string) {
	w.replacements += strings.Count(s, "\ufffd")
	w.control = w.control || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\r' && r != '\n' })
}

// replacementsIn counts the U+FFFD a valid document really holds, raw or
// escaped; backslashes occur only in strings, so skipping each escape
// whole is enough to read them right.
func replacementsIn(doc []byte) int {
	n := bytes.Count(doc, []byte("\ufffd"))
	for i := 0; i < len(doc); i++ {
		if doc[i] != '\\' {
			continue
		}
		if doc[i+1] == 'u' && strings.EqualFold(string(doc[i+2:i+6]), "fffd") {
			n++
		}
		i++ // the escaped character; hex digits cannot hold a backslash
	}
	return n
}

// membersIn counts objects' members as the document gives them, from the
// decoder's tokens, which keep every key.
func membersIn(doc []byte) int {
	type level struct{ object, key bool } // key: a key comes next
	dec := json.NewDecoder(bytes.NewReader(doc))
	var stack []level
	n := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			top := &stack[len(stack)-1]
			if top.key {
				if tok == json.Delim('}') {
					stack = stack[:len(stack)-1]
				} else {
					n++
					top.key = false
				}
				continue
			}
			top.key = true // once this value is read
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{object: true, key: true})
		case json.Delim('['):
			stack = append(stack, level{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}
