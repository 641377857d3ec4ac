// Package schema compiles form schemas once and turns validation failures
// into field problems a person can read.
package schema

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/xeipuuv/gojsonschema"

	"pluginserver/plugin"
)

// Validator checks documents against one compiled form schema.
type Validator struct {
	schema *gojsonschema.Schema
	// choices holds, per field path, the values of a oneOf of consts, so a
	// wrong value reads "must be one of A, B" instead of gojsonschema's
	// account of every branch it tried.
	choices map[string][]string
	// messages holds the schema's own errorMessage per field path.
	messages map[string]string
}

// Compile compiles a draft-07 schema. name only labels errors.
func Compile(name string, raw json.RawMessage) (*Validator, error) {
	if _, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(raw)); err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode schema %s: %w", name, err)
	}
	v := &Validator{choices: map[string][]string{}, messages: map[string]string{}}
	v.collect("", doc)
	// What is validated is the schema with its labelled choices as plain
	// enums, which accept the same values: gojsonschema tries every branch
	// of a oneOf and formats an error for each that fails, which made a
	// choice cost more than the rest of a form.
	plain, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode schema %s: %w", name, err)
	}
	if v.schema, err = gojsonschema.NewSchema(gojsonschema.NewBytesLoader(plain)); err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	return v, nil
}

// collect notes the choices and messages of node and its children, and
// turns each oneOf of consts into an enum of the same values.
func (v *Validator) collect(path string, node map[string]any) {
	if msg, ok := node["errorMessage"].(string); ok {
		v.messages[path] = msg
	}
	if alts, ok := node["oneOf"].([]any); ok {
		var values []string
		var enum []any
		for _, a := range alts {
			alt, _ := a.(map[string]any)
			c, ok := alt["const"]
			if !ok {
				values = nil
				break
			}
			values = append(values, fmt.Sprint(c))
			enum = append(enum, c)
		}
		if len(values) > 0 {
			v.choices[path] = values
			delete(node, "oneOf")
			node["enum"] = enum
		}
	}
	if values, ok := stringChoices(node); ok {
		// A choice of strings is checked as a pattern of the same strings:
		// gojsonschema checks an enum by encoding the value to JSON,
		// decoding and encoding it again, which was a third of what
		// validating a post cost. The choices give the message (a oneOf's
		// are the same values).
		v.choices[path] = values
		quoted := make([]string, len(values))
		for i, value := range values {
			quoted[i] = regexp.QuoteMeta(value)
		}
		delete(node, "enum")
		node["pattern"] = "^(?:" + strings.Join(quoted, "|") + ")$"
	}
	if props, ok := node["properties"].(map[string]any); ok {
		for name, p := range props {
			if child, ok := p.(map[string]any); ok {
				v.collect(join(path, name), child)
			}
		}
	}
	if items, ok := node["items"].(map[string]any); ok {
		v.collect(join(path, "*"), items)
	}
}

// stringChoices is the values of a string node's enum of strings; a node
// with a pattern of its own is left as it is.
func stringChoices(node map[string]any) ([]string, bool) {
	enum, _ := node["enum"].([]any)
	if node["type"] != "string" || len(enum) == 0 || node["pattern"] != nil {
		return nil, false
	}
	values := make([]string, len(enum))
	for i, e := range enum {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		values[i] = s
	}
	return values, true
}

// Limits on the shape of a document, checked before its schema so a hostile
// document costs little.
const (
	MaxDepth  = 32
	MaxValues = 10000
)

// Validate checks a JSON document and lists every problem, one per field.
// A document that is not JSON at all is one problem on the root.
func (v *Validator) Validate(doc []byte) []plugin.FieldProblem {
	if msg := checkShape(doc); msg != "" {
		return []plugin.FieldProblem{{Field: "", Message: msg}}
	}
	res, err := v.schema.Validate(document(doc))
	if err != nil {
		return []plugin.FieldProblem{{Field: "", Message: "is not valid JSON"}}
	}
	if res.Valid() {
		return nil
	}
	var problems []plugin.FieldProblem
	seen := map[string]bool{}
	for _, e := range res.Errors() {
		field, msg := v.describe(e)
		if seen[field] {
			continue
		}
		seen[field] = true
		problems = append(problems, plugin.FieldProblem{Field: field, Message: msg})
	}
	return problems
}

func (v *Validator) describe(e gojsonschema.ResultError) (field, message string) {
	field = e.Field()
	if field == "(root)" {
		field = ""
	}
	d := e.Details()
	switch e.Type() {
	case "required":
		return join(field, fmt.Sprint(d["property"])), "is required"
	case "additional_property_not_allowed":
		return join(field, fmt.Sprint(d["property"])), "is not a known field"
	}
	key := pattern(field)
	if values, ok := v.choices[key]; ok {
		return field, "must be one of " + strings.Join(values, ", ")
	}
	switch e.Type() {
	case "invalid_type":
		return field, "must be " + article(fmt.Sprint(d["expected"]))
	case "string_gte":
		if fmt.Sprint(d["min"]) == "1" {
			return field, "must not be empty"
		}
		return field, fmt.Sprintf("must be at least %v characters", d["min"])
	case "string_lte":
		return field, fmt.Sprintf("must be at most %v characters", d["max"])
	case "pattern":
		if msg, ok := v.messages[key]; ok {
			return field, msg
		}
		return field, "does not have the expected form"
	case "array_min_items":
		return field, fmt.Sprintf("must have at least %v items", d["min"])
	case "array_max_items":
		return field, fmt.Sprintf("must have at most %v items", d["max"])
	case "array_no_additional_items", "unique":
		return field, "must not repeat items"
	case "format":
		return field, fmt.Sprintf("must be a valid %v", d["format"])
	}
	if msg, ok := v.messages[key]; ok {
		return field, msg
	}
	return field, e.Description()
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// pattern replaces array indexes with "*" so a field matches its schema path.
func pattern(field string) string {
	parts := strings.Split(field, ".")
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, ".")
}

func article(types string) string {
	types = strings.ReplaceAll(types, "/", " or ")
	switch {
	case strings.HasPrefix(types, "a"), strings.HasPrefix(types, "o"), strings.HasPrefix(types, "i"):
		return "an " + types
	}
	return "a " + types
}

// Shape says what is wrong with a document's shape (not JSON, too deep,
// too many values), "" when nothing: the check Validate makes first, for a
// caller that reads a document before validating it.
func Shape(doc []byte) string { return checkShape(doc) }

// checkShape refuses a document that is not JSON, nests deeper than
// MaxDepth, or holds more than MaxValues values (array elements and object
// members, counted by their separators). It reads bytes rather than tokens:
// it runs before every validation, and a token reader allocated for each
// value.
func checkShape(doc []byte) string {
	if !json.Valid(doc) {
		return "is not valid JSON"
	}
	depth, values := 0, 1
	inString, escaped := false, false
	for _, c := range doc {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > MaxDepth {
				return fmt.Sprintf("nests deeper than %d levels", MaxDepth)
			}
		case c == '}' || c == ']':
			depth--
		case c == ',':
			if values++; values > MaxValues {
				return fmt.Sprintf("holds more than %d values", MaxValues)
			}
		}
	}
	return ""
}
