package jsontext

import (
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
