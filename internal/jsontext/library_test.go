//go:build goexperiment.jsonv2

// The weighing of issue 20, kept so it can be run again: the JSON v2
// work's jsontext decoder (encoding/json/jsontext, which Go 1.26 builds
// only with GOEXPERIMENT=jsonv2; the same code as the module
// github.com/go-json-experiment/json) beside Check, on the same bodies.
//
//	GOEXPERIMENT=jsonv2 go test -run Library -bench . ./internal/jsontext
//
// BenchmarkJSONText/decoder is the library alone: it refuses invalid UTF-8,
// lone surrogates and names given twice exactly, and nothing else our
// callers need. BenchmarkJSONText/swap is what a swap would have to run:
// libraryCheck, the decoder plus the rules it lacks (a control character
// escaped as \u0000, \u001b, \b or \f; names alike but for case, which
// encoding/json fills one field from; our paths and wording), and
// TestLibraryCheckAgrees holds it to Check's cases.

package jsontext

import (
	"bytes"
	"encoding/json/jsontext"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"pluginserver/plugin"
)

// libraryState is one reading's decoder and scratch space, pooled so a
// reading allocates as little as the library lets it.
type libraryState struct {
	dec    jsontext.Decoder
	buf    bytes.Buffer
	text   []byte
	frames []frame
	keys   []span
	maps   []map[string]span
}

var libraryPool = sync.Pool{New: func() any { return new(libraryState) }}

// libraryCheck is Check written on the library's decoder.
func libraryCheck(doc []byte) *plugin.FieldProblem {
	st := libraryPool.Get().(*libraryState)
	defer libraryPool.Put(st)
	st.buf = *bytes.NewBuffer(doc) // read in place, not copied
	st.dec.Reset(&st.buf)
	d := &st.dec
	frames, keys, maps := st.frames[:0], st.keys[:0], st.maps[:0]
	defer func() { st.frames, st.keys, st.maps = frames[:0], keys[:0], maps[:0] }()
	for {
		switch kind := d.PeekKind(); kind {
		case jsontext.KindBeginObject, jsontext.KindBeginArray:
			if _, err := d.ReadToken(); err != nil {
				return libraryProblem(doc, d, err, false)
			}
			frames = append(frames, frame{object: kind == jsontext.KindBeginObject, base: len(keys)})
			continue
		case jsontext.KindEndObject, jsontext.KindEndArray:
			if _, err := d.ReadToken(); err != nil {
				return libraryProblem(doc, d, err, false)
			}
			if top := &frames[len(frames)-1]; top.object {
				keys = top.drop(keys, &maps)
			}
			frames = frames[:len(frames)-1]
		case jsontext.KindString:
			_, n := d.StackIndex(d.StackDepth())
			name := len(frames) > 0 && frames[len(frames)-1].object && n%2 == 0
			start := nameStart(doc, d)
			v, err := d.ReadValue()
			if err != nil {
				return libraryProblem(doc, d, err, name)
			}
			end := int(d.InputOffset())
			st.text, _ = jsontext.AppendUnquote(st.text[:0], v)
			msg := controlIn(st.text)
			switch {
			case msg != "" && name:
				return &plugin.FieldProblem{Field: dotted(d.StackPointer().Parent(), badKey(doc, start)), Message: "is a key that " + msg}
			case msg != "":
				return &plugin.FieldProblem{Field: dotted(d.StackPointer(), ""), Message: msg}
			case name:
				k := span{start: end - len(v) + 1, end: end - 1, escaped: bytes.IndexByte(v, '\\') >= 0}
				k.ascii = !k.escaped && isASCII(v)
				top := &frames[len(frames)-1]
				if keys, msg = top.add(doc, k, keys, &maps); msg != "" {
					return &plugin.FieldProblem{Field: dotted(d.StackPointer(), ""), Message: msg}
				}
			}
		default:
			if _, err := d.ReadValue(); err != nil {
				return libraryProblem(doc, d, err, false)
			}
		}
		if len(frames) == 0 {
			return nil // one value read; what follows is the decoder's
		}
	}
}

// libraryProblem words the library's refusal as ours, or nil for a syntax
// error, which is left to the decoder that runs after. The library says
// only "invalid UTF-8" or "invalid surrogate pair" in its own words and at
// a byte offset, so what is wrong is read again from the byte there.
func libraryProblem(doc []byte, d *jsontext.Decoder, err error, name bool) *plugin.FieldProblem {
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) || err == io.EOF {
		return nil
	}
	if errors.Is(se.Err, jsontext.ErrDuplicateName) {
		return &plugin.FieldProblem{Field: dotted(se.JSONPointer, ""), Message: msgTwice}
	}
	at := int(se.ByteOffset)
	if at >= len(doc) {
		return nil
	}
	var p problem
	switch c := doc[at]; {
	case c == '\\':
		if r, n := escapeAt(doc, at); n == 6 && r >= 0xD800 && r < 0xE000 {
			p = problem{kind: surrogate, r: r}
		}
	case c >= utf8.RuneSelf:
		p = problem{kind: badUTF8}
	case c < 0x20:
		p = controlProblem(rune(c))
	}
	switch {
	case p.kind == fine:
		return nil
	case name:
		start := at
		for start > 0 && !(doc[start-1] == '"' && !escapedQuote(doc, start-1)) {
			start--
		}
		return &plugin.FieldProblem{Field: dotted(se.JSONPointer, badKey(doc, start)), Message: "is a key that " + p.message()}
	}
	return &plugin.FieldProblem{Field: dotted(se.JSONPointer, ""), Message: p.message()}
}

// escapedQuote says whether the quote at i is escaped: an odd run of
// backslashes before it.
func escapedQuote(doc []byte, i int) bool {
	n := 0
	for i > 0 && doc[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}

// nameStart is where the next string's text starts, past its quote.
func nameStart(doc []byte, d *jsontext.Decoder) int {
	i := skipSpace(doc, int(d.InputOffset()))
	if i < len(doc) && (doc[i] == ',' || doc[i] == ':') {
		i = skipSpace(doc, i+1)
	}
	return i + 1
}

// controlIn is the message for the first control character text holds.
func controlIn(text []byte) string {
	for _, c := range text {
		if c < 0x20 {
			if p := controlProblem(rune(c)); p.kind != fine {
				return p.message()
			}
		}
	}
	return ""
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// dotted is a JSON pointer as our field path, then tail when given.
func dotted(p jsontext.Pointer, tail string) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	if tail != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tail)
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// TestLibraryCheckAgrees: the swap would keep every verdict, field and
// message of Check's cases, so the benchmark weighs like with like.
func TestLibraryCheckAgrees(t *testing.T) {
	for _, tt := range accepted {
		if p := libraryCheck([]byte(tt.doc)); p != nil {
			t.Errorf("%s: libraryCheck = %+v, want nil", tt.name, *p)
		}
	}
	for _, tt := range refused {
		p := libraryCheck([]byte(tt.doc))
		if p == nil || p.Field != tt.field || p.Message != tt.message {
			t.Errorf("%s: libraryCheck(%q) = %+v, want %q: %q", tt.name, tt.doc, p, tt.field, tt.message)
		}
	}
	for _, doc := range notJSON {
		if p := libraryCheck([]byte(doc)); p != nil {
			t.Errorf("libraryCheck(%q) = %+v, want nil", doc, *p)
		}
	}
	for _, tt := range benchBodies {
		if got, want := libraryCheck([]byte(tt.doc)), Check([]byte(tt.doc)); (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("%s: libraryCheck = %+v, Check = %+v", tt.name, got, want)
		}
	}
}

// TestLibraryAlone shows what the library refuses by itself, with its
// default options: not an escaped NUL or control, not names alike but
// for case.
func TestLibraryAlone(t *testing.T) {
	for _, tt := range []struct {
		doc     string
		refused bool
	}{
		{`{"text":"a\u0000b"}`, false},
		{`{"text":"\u001b[31m"}`, false},
		{`{"text":"a\bb"}`, false},
		{`{"command":"getUserInfo","Command":"createPost"}`, false},
		{`{"k":1,"\u212a":2}`, false},
		{`{"a":1,"a":2}`, true},
		{`{"a":1,"\u0061":2}`, true},
		{"{\"text\":\"a\xffb\"}", true},
		{`{"text":"\ud800"}`, true},
		{"{\"text\":\"a\x00b\"}", true},
	} {
		if got := !jsontext.Value(tt.doc).IsValid(); got != tt.refused {
			t.Errorf("the library refuses %q: %v, want %v", tt.doc, got, tt.refused)
		}
	}
}

// BenchmarkJSONText is the library on BenchmarkCheck's bodies: decoder
// reads each whole (jsontext.Value.IsValid), swap runs libraryCheck.
func BenchmarkJSONText(b *testing.B) {
	bodies := append([]struct {
		name    string
		doc     string
		refused bool
	}{{"createPost", createPost, false}}, benchBodies...)
	for _, tt := range bodies {
		doc := []byte(tt.doc)
		b.Run(tt.name+"/decoder", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if jsontext.Value(doc).IsValid() == tt.refused {
					b.Fatal("the library's verdict differs")
				}
			}
		})
		b.Run(tt.name+"/swap", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if (libraryCheck(doc) != nil) != tt.refused {
					b.Fatal("libraryCheck's verdict differs")
				}
			}
		})
	}
}
