package schema

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDocument holds document's one pass to what gojsonschema's own loader
// decodes: a json.Decoder with UseNumber, on any document Validate takes.
func FuzzDocument(f *testing.F) {
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
		if checkShape(doc) != "" {
			return
		}
		want, err := decodedByLibrary(doc)
		if err != nil {
			t.Fatalf("the library refused valid JSON %q: %v", doc, err)
		}
		got, err := document(doc).LoadJSON()
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

// BenchmarkLoad: a createPost's params, as document decodes them and as
// gojsonschema's own loader does.
func BenchmarkLoad(b *testing.B) {
	doc := []byte(`{"author":"urn:li:person:782bbtaQ","text":"Hello from the bench 1234","visibility":"PUBLIC","lifecycleState":"PUBLISHED"}`)
	b.Run("document", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			document(doc).LoadJSON()
		}
	})
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodedByLibrary(doc)
		}
	})
}
