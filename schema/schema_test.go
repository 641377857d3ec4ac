package schema_test

import (
	"slices"
	"strings"
	"testing"

	"pluginserver/plugin"
	"pluginserver/schema"
)

const form = `{"type":"object","additionalProperties":false,"required":["kind","tags","name"],"properties":{
	"kind":{"type":"string","oneOf":[{"const":"A","title":"Apple"},{"const":"B","title":"Banana"}]},
	"name":{"type":"string","minLength":1,"maxLength":5,"pattern":"^[a-z]+$","errorMessage":"must be lower-case letters"},
	"tags":{"type":"array","items":{"type":"string","oneOf":[{"const":"x"},{"const":"y"}]}},
	"sign":{"type":"string","enum":["a.b","c+"]},
	"nested":{"type":"object","properties":{"n":{"type":"integer"}}}}}`

func TestProblems(t *testing.T) {
	v, err := schema.Compile("test", []byte(form))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc  string
		want []plugin.FieldProblem
	}{
		{`{"kind":"A","name":"ab","tags":["x"]}`, nil},
		{`{}`, []plugin.FieldProblem{{Field: "kind", Message: "is required"}, {Field: "tags", Message: "is required"}, {Field: "name", Message: "is required"}}},
		{`{"kind":"a","name":"ab","tags":["x"]}`, []plugin.FieldProblem{{Field: "kind", Message: "must be one of A, B"}}},
		{`{"kind":"A","name":"AB","tags":["x"]}`, []plugin.FieldProblem{{Field: "name", Message: "must be lower-case letters"}}},
		{`{"kind":"A","name":"","tags":["x"]}`, []plugin.FieldProblem{{Field: "name", Message: "must not be empty"}}},
		{`{"kind":"A","name":"abcdef","tags":["x"]}`, []plugin.FieldProblem{{Field: "name", Message: "must be at most 5 characters"}}},
		{`{"kind":"A","name":"ab","tags":["x","z"]}`, []plugin.FieldProblem{{Field: "tags.1", Message: "must be one of x, y"}}},
		// A choice of strings is exactly one of them: not a prefix, not
		// with a line after it, not read as a pattern, not another type.
		{`{"kind":"AB","name":"ab","tags":["x"]}`, []plugin.FieldProblem{{Field: "kind", Message: "must be one of A, B"}}},
		{`{"kind":"A\n","name":"ab","tags":["x"]}`, []plugin.FieldProblem{{Field: "kind", Message: "must be one of A, B"}}},
		{`{"kind":1,"name":"ab","tags":["x"]}`, []plugin.FieldProblem{{Field: "kind", Message: "must be one of A, B"}}},
		{`{"kind":"A","name":"ab","tags":["x"],"sign":"c+"}`, nil},
		{`{"kind":"A","name":"ab","tags":["x"],"sign":"axb"}`, []plugin.FieldProblem{{Field: "sign", Message: "must be one of a.b, c+"}}},
		{`{"kind":"A","name":"ab","tags":["x"],"sign":"cc"}`, []plugin.FieldProblem{{Field: "sign", Message: "must be one of a.b, c+"}}},
		{`{"kind":"A","name":"ab","tags":["x"],"nested":{"n":"1"}}`, []plugin.FieldProblem{{Field: "nested.n", Message: "must be an integer"}}},
		{`{"kind":"A","name":"ab","tags":["x"],"extra":1}`, []plugin.FieldProblem{{Field: "extra", Message: "is not a known field"}}},
		{`[]`, []plugin.FieldProblem{{Field: "", Message: "must be an object"}}},
		{`{`, []plugin.FieldProblem{{Field: "", Message: "is not valid JSON"}}},
	}
	for _, tt := range tests {
		got := v.Validate([]byte(tt.doc))
		slices.SortFunc(got, func(a, b plugin.FieldProblem) int { return strings.Compare(a.Field, b.Field) })
		slices.SortFunc(tt.want, func(a, b plugin.FieldProblem) int { return strings.Compare(a.Field, b.Field) })
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got %v\nwant %v", tt.doc, got, tt.want)
		}
	}
}

func TestShapeLimits(t *testing.T) {
	v, _ := schema.Compile("test", []byte(`{"type":"object"}`))
	deep := strings.Repeat(`{"a":`, schema.MaxDepth+1) + "1" + strings.Repeat("}", schema.MaxDepth+1)
	wide := "[" + strings.Repeat("1,", schema.MaxValues) + "1]"
	for doc, want := range map[string]string{deep: "nests deeper than 32 levels", wide: "holds more than 10000 values"} {
		if got := v.Validate([]byte(doc)); len(got) != 1 || got[0].Message != want {
			t.Errorf("got %v, want %q", got, want)
		}
	}
	// Brackets and commas inside strings, escaped quotes included, are text.
	text := `{"s":"\"` + strings.Repeat(`,[{`, schema.MaxValues) + `"}`
	if got := v.Validate([]byte(text)); got != nil {
		t.Errorf("a string of brackets and commas: %v", got)
	}
}
