package linkedin_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// TestFormsRenderInRJSF checks every form against what
// react-jsonschema-form 6 needs to render a field with a structured widget
// and no error or "Unsupported field schema". The browser test renders the
// forms with RJSF itself; these rules say which part of a schema is at
// fault.
func TestFormsRenderInRJSF(t *testing.T) {
	p := linkedin.Plugin()
	forms := map[string]plugin.Form{"datasource": p.Datasource}
	for _, c := range p.Commands {
		forms[c.ID] = c.Form
	}
	for name, f := range forms {
		var schema, ui map[string]any
		if err := json.Unmarshal(f.Schema, &schema); err != nil {
			t.Fatalf("%s schema: %v", name, err)
		}
		if err := json.Unmarshal(f.UISchema, &ui); err != nil {
			t.Fatalf("%s uiSchema: %v", name, err)
		}
		for _, problem := range rjsfProblems(name, schema, ui, true) {
			t.Error(problem)
		}
	}
}

// TestRJSFRulesCatchHazards: the rules above find the hazards issue 13
// found in RJSF.
func TestRJSFRulesCatchHazards(t *testing.T) {
	for _, tt := range []struct{ name, schema, ui, want string }{
		{"textarea on an anyOf", `{"anyOf":[{"type":"array","items":{"type":"object"}},{"type":"string"}]}`, `{"ui:widget":"textarea"}`, "has no type"},
		{"anyOf options without titles", `{"type":"string","anyOf":[{"minLength":2},{"maxLength":0}]}`, `{}`, "has no title"},
		{"object without properties", `{"type":"object"}`, `{}`, "neither properties"},
		{"additionalProperties without a type", `{"type":"object","additionalProperties":{}}`, `{}`, "neither properties"},
		{"untyped property", `{"type":"object","properties":{"body":{"title":"Body"}}}`, `{}`, "has no type"},
		{"textarea on a number", `{"type":"integer"}`, `{"ui:widget":"textarea"}`, `widget "textarea"`},
		{"unknown widget", `{"type":"string"}`, `{"ui:widget":"json"}`, `widget "json"`},
		{"checkboxes without choices", `{"type":"array","uniqueItems":true,"items":{"type":"string"}}`, `{"ui:widget":"checkboxes"}`, "checkboxes"},
		{"default in an optional object", `{"type":"object","properties":{"poll":{"type":"object","required":["q"],"properties":{"q":{"type":"string"},"d":{"type":"string","default":"x"}}}}}`, `{}`, "default"},
		{"null ui:order", `{"type":"object","properties":{}}`, `{"ui:order":null}`, "ui:order"},
		{"ui for no field", `{"type":"object","properties":{}}`, `{"colour":{"ui:widget":"text"}}`, "no such field"},
	} {
		var schema, ui map[string]any
		if err := json.Unmarshal([]byte(tt.schema), &schema); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal([]byte(tt.ui), &ui)
		problems := rjsfProblems("x", schema, ui, false)
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
			t.Errorf("%s: problems %q, want one saying %q", tt.name, problems, tt.want)
		}
	}
}

// TestStructuredWidgets: the fields issue 13 named render as structured
// widgets: media entries as objects with their own fields, free-form
// objects as key-value editors, a JSON body as a JSON text widget, a size
// as a number.
func TestStructuredWidgets(t *testing.T) {
	field := func(command, name string) (schema, ui map[string]any) {
		c, _ := linkedin.Plugin().Command(command)
		var s struct{ Properties map[string]map[string]any }
		var u map[string]any
		json.Unmarshal(c.Form.Schema, &s)
		json.Unmarshal(c.Form.UISchema, &u)
		ui, _ = u[name].(map[string]any)
		return s.Properties[name], ui
	}
	media, _ := field("createPostWithMedia", "media")
	items, _ := media["items"].(map[string]any)
	props, _ := items["properties"].(map[string]any)
	if media["type"] != "array" || items["type"] != "object" || props["media"] == nil || props["originalUrl"] == nil || props["title"] == nil || props["description"] == nil {
		t.Errorf("media is not an array of entries with their fields: %v", media)
	}
	for _, name := range []string{"queryParams", "headers"} {
		s, _ := field("customAction", name)
		if extra, _ := s["additionalProperties"].(map[string]any); s["type"] != "object" || extra["type"] != "string" || s["properties"] != nil {
			t.Errorf("%s is not a map of strings (RJSF's key-value editor): %v", name, s)
		}
	}
	body, bodyUI := field("customAction", "body")
	if opts, _ := bodyUI["ui:options"].(map[string]any); body["type"] != "string" || bodyUI["ui:widget"] != "textarea" || opts["json"] != true {
		t.Errorf("body is not a JSON text widget: %v %v", body, bodyUI)
	}
	if size, _ := field("uploadVideo", "fileSizeBytes"); size["type"] != "integer" {
		t.Errorf("fileSizeBytes is %v, want an integer", size["type"])
	}
}

// widgets are RJSF 6's built-in widgets, by the types they render.
var widgets = map[string][]string{
	"string":  {"text", "textarea", "password", "color", "email", "uri", "data-url", "date", "datetime", "alt-date", "alt-datetime", "time", "file", "hidden", "select", "radio"},
	"integer": {"text", "updown", "range", "radio", "select", "hidden"},
	"number":  {"text", "updown", "range", "radio", "select", "hidden"},
	"boolean": {"checkbox", "radio", "select", "hidden"},
	"array":   {"checkboxes", "select", "files", "hidden"},
	"object":  {"hidden"},
}

// rjsfProblems lists what in a schema node and its uiSchema RJSF would
// not render as a structured widget. required says whether the parent
// requires the node, so RJSF may fill it in.
func rjsfProblems(path string, node, ui map[string]any, required bool) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, path+": "+fmt.Sprintf(format, args...)) }
	typ, _ := node["type"].(string)
	if _, ok := widgets[typ]; !ok {
		bad("has no type RJSF renders (type %v)", node["type"])
	}
	for _, kw := range []string{"anyOf", "oneOf"} {
		alts, _ := node[kw].([]any)
		altsUI, _ := ui[kw].([]any)
		for i, a := range alts {
			alt, _ := a.(map[string]any)
			if alt["title"] == nil {
				bad("%s option %d has no title", kw, i)
			}
			// A branch of an object (sharePost's content) renders as an
			// object of its own under the picker.
			if alt["properties"] != nil {
				var altUI map[string]any
				if i < len(altsUI) {
					altUI, _ = altsUI[i].(map[string]any)
				}
				problems = append(problems, rjsfProblems(fmt.Sprintf("%s.%s[%d]", path, kw, i), alt, altUI, required)...)
			}
		}
	}
	if w, ok := ui["ui:widget"]; ok {
		name, _ := w.(string)
		if !slices.Contains(widgets[typ], name) {
			bad("widget %q does not render type %q", name, typ)
		}
		if name == "checkboxes" && !choices(node) {
			bad("checkboxes need uniqueItems and items that are choices")
		}
	}
	if order, ok := ui["ui:order"]; ok {
		if _, isList := order.([]any); !isList {
			bad("ui:order is %v, not a list", order)
		}
	}
	switch typ {
	case "object":
		props, hasProps := node["properties"].(map[string]any)
		extra, _ := node["additionalProperties"].(map[string]any)
		if !hasProps && (extra == nil || extra["type"] == nil) {
			bad("is an object with neither properties nor typed additionalProperties: RJSF renders an empty fieldset")
		}
		for key := range ui {
			if key == "oneOf" && node["oneOf"] != nil {
				continue
			}
			if !strings.HasPrefix(key, "ui:") && props[key] == nil && key != "additionalProperties" {
				bad("uiSchema names %q, no such field", key)
			}
		}
		need, _ := node["required"].([]any)
		if !required && len(need) > 0 && hasDefault(node) {
			bad("is an optional object with required fields and a default inside: RJSF fills the default in and sends a half object")
		}
		for name, p := range props {
			child, _ := p.(map[string]any)
			childUI, _ := ui[name].(map[string]any)
			problems = append(problems, rjsfProblems(path+"."+name, child, childUI, slices.Contains(need, any(name)))...)
		}
		if extra != nil {
			extraUI, _ := ui["additionalProperties"].(map[string]any)
			problems = append(problems, rjsfProblems(path+".*", extra, extraUI, false)...)
		}
	case "array":
		items, ok := node["items"].(map[string]any)
		if !ok {
			bad("is an array whose items are not one schema")
			break
		}
		itemsUI, _ := ui["items"].(map[string]any)
		problems = append(problems, rjsfProblems(path+".items", items, itemsUI, true)...)
	}
	return problems
}

// choices says whether an array holds distinct values from a list, which
// RJSF renders as checkboxes.
func choices(node map[string]any) bool {
	items, _ := node["items"].(map[string]any)
	return node["uniqueItems"] == true && (items["enum"] != nil || items["oneOf"] != nil)
}

func hasDefault(node map[string]any) bool {
	props, _ := node["properties"].(map[string]any)
	for _, p := range props {
		child, _ := p.(map[string]any)
		if _, ok := child["default"]; ok || hasDefault(child) {
			return true
		}
	}
	return false
}
