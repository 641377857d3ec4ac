package jsontext

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// TestMembers: an object of known keys is read member by member, as doc
// holds each value; anything else is left to a decoder.
func TestMembers(t *testing.T) {
	names := []string{"a", "b", "c"}
	for _, tc := range []struct {
		doc  string
		want []string // nil: not read
	}{
		{`{"a":1,"b":"x","c":{"d":[1,"}"]}}`, []string{`1`, `"x"`, `{"d":[1,"}"]}`}},
		{` { "c" : [ ] , "a" : null } `, []string{`null`, ``, `[ ]`}},
		{`{}`, []string{``, ``, ``}},
		{`{"a":1,"a":2}`, nil},
		{`{"a":1,"e":2}`, nil},
		{`{"\u0061":1}`, nil},
		{`{"A":1}`, nil},
		{`[]`, nil},
		{`{"a":1`, nil},
		{`{"a":1}{}`, nil},
	} {
		values := make([][]byte, len(names))
		ok := Members([]byte(tc.doc), names, values)
		if ok != (tc.want != nil) {
			t.Errorf("%s: read %v, want %v", tc.doc, ok, tc.want != nil)
			continue
		}
		var got []string
		for _, v := range values {
			got = append(got, string(v))
		}
		if ok && !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.doc, got, tc.want)
		}
	}
	for value, want := range map[string]bool{`"plain"`: true, `""`: true, `"esc\"aped"`: false, "\"\xff\"": false, `1`: false, `"a" `: false} {
		if _, ok := PlainString([]byte(value)); ok != want {
			t.Errorf("PlainString(%s): %v, want %v", value, ok, want)
		}
	}
}

// FuzzValue holds Value's one pass to what gojsonschema's own loader
// decodes, a json.Decoder with UseNumber, on any valid document.
func FuzzValue(f *testing.F) {
	for _, seed := range []string{
		`{"author":"urn:li:person:1","text":"hello","visibility":"PUBLIC"}`,
		` { "a" : [ 1, -2.5e+3, true, false, null, {}, [] ] , "a" : "last" } `,
		`"caf\u00e9 \ud83d\ude00 \"quoted\" \\ \/"`,
		"\"bad \xff utf-8 \xed\xa0\x80\"",
		`[[[["deep"]]], 0, 1E-2]`,
		`123`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			return
		}
		want, err := decodedByLibrary(doc)
		if err != nil {
			t.Fatalf("the library refused valid JSON %q: %v", doc, err)
		}
		got, err := Value(doc)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decoded %#v, %v; the library %#v", doc, got, err, want)
		}
	})
}

func decodedByLibrary(doc []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// BenchmarkValue: a createPost's params, as Value decodes them and as
// gojsonschema's own loader does.
func BenchmarkValue(b *testing.B) {
	doc := []byte(`{"author":"urn:li:person:782bbtaQ","text":"Hello from the bench 1234","visibility":"PUBLIC","lifecycleState":"PUBLISHED"}`)
	b.Run("Value", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Value(doc)
		}
	})
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodedByLibrary(doc)
		}
	})
}
