package httpapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"pluginserver/plugin"
)

// Appsmith describes a datasource plugin with JSON resource files its form
// engine renders: form.json (the datasource form), editor/root.json (the
// query editor: a command dropdown and one section per command, shown by
// conditionals) and setting.json (the query's settings). appsmithExport
// writes those files from the same declarations the server runs, so a
// builder can render our forms the way Appsmith's own plugins are written
// (Google Sheets, Anthropic, Firestore under app/server/appsmith-plugins).

// formatAppsmith is GET /v1/plugins/{plugin}?format=appsmith.
const formatAppsmith = "appsmith"

// pluginFormat reads the format a plugin is asked in: "" for our JSON Schema
// forms, or formatAppsmith.
func pluginFormat(r *http.Request) (string, error) {
	values, ok := r.URL.Query()["format"]
	if !ok {
		return "", nil
	}
	if len(values) > 1 {
		return "", plugin.InvalidField("format", "must be given once")
	}
	switch values[0] {
	case "":
		return "", nil
	case formatAppsmith:
		return formatAppsmith, nil
	}
	return "", plugin.InvalidField("format", "must be %s, or absent for the JSON Schema forms", formatAppsmith)
}

// appsmithPlugin is the answer to ?format=appsmith: each member is the
// content of the Appsmith resource file it is named after.
type appsmithPlugin struct {
	// Form is form.json.
	Form appsmithForm `json:"form"`
	// Editor holds editor/root.json under "root"; every command's section
	// is in it, so no other editor file is needed.
	Editor struct {
		Root appsmithRoot `json:"root"`
	} `json:"editor"`
	// Setting is setting.json.
	Setting appsmithSettings `json:"setting"`
}

type appsmithForm struct {
	Form []appsmithFormSection `json:"form"`
}

type appsmithSettings struct {
	Setting []appsmithFormSection `json:"setting"`
}

// appsmithFormSection is a section of form.json or setting.json.
type appsmithFormSection struct {
	SectionName string             `json:"sectionName"`
	ID          int                `json:"id"`
	Children    []*appsmithControl `json:"children"`
}

type appsmithRoot struct {
	Editor []*appsmithContainer `json:"editor"`
}

// appsmithContainer is a SECTION_V2 or a zone of the query editor.
type appsmithContainer struct {
	ControlType  string                `json:"controlType"`
	Identifier   string                `json:"identifier"`
	Conditionals *appsmithConditionals `json:"conditionals,omitempty"`
	// Children are zones in a section, controls in a zone.
	Children []any `json:"children"`
}

type appsmithConditionals struct {
	Show string `json:"show"`
}

// appsmithControl is one input of a form; field names and their order
// follow Appsmith's own files.
type appsmithControl struct {
	Label                      string           `json:"label"`
	TooltipText                string           `json:"tooltipText,omitempty"`
	Description                string           `json:"description,omitempty"`
	Info                       string           `json:"info,omitempty"`
	ConfigProperty             string           `json:"configProperty"`
	ControlType                string           `json:"controlType"`
	DataType                   string           `json:"dataType,omitempty"`
	InputType                  string           `json:"inputType,omitempty"`
	EvaluationSubstitutionType string           `json:"evaluationSubstitutionType,omitempty"`
	IsMultiSelect              bool             `json:"isMultiSelect,omitempty"`
	IsSearchable               bool             `json:"isSearchable,omitempty"`
	IsRequired                 *bool            `json:"isRequired,omitempty"`
	Hidden                     bool             `json:"hidden,omitempty"`
	Encrypted                  bool             `json:"encrypted,omitempty"`
	InitialValue               json.RawMessage  `json:"initialValue,omitempty"`
	PlaceholderText            string           `json:"placeholderText,omitempty"`
	AlternateViewTypes         []string         `json:"alternateViewTypes,omitempty"`
	Options                    []appsmithOption `json:"options,omitempty"`
}

type appsmithOption struct {
	Label string          `json:"label"`
	Value json.RawMessage `json:"value"`
}

// Appsmith's control types this export uses.
const (
	asSection      = "SECTION_V2"
	asDoubleColumn = "DOUBLE_COLUMN_ZONE"
	asSingleColumn = "SINGLE_COLUMN_ZONE"
	asDropDown     = "DROP_DOWN"
	asInput        = "QUERY_DYNAMIC_INPUT_TEXT"
	asText         = "QUERY_DYNAMIC_TEXT"
	asSwitch       = "SWITCH"
	asFilePicker   = "FILE_PICKER"
	asInputText    = "INPUT_TEXT"
)

// commandPath is where a query keeps its command, as Appsmith's UQI plugins
// keep theirs.
const commandPath = "actionConfiguration.formData.command.data"

// appsmithFieldPath is where a query keeps a command's param.
func appsmithFieldPath(command, field string) string {
	return "actionConfiguration.formData." + command + "." + field + ".data"
}

// appsmithShow is the conditional that shows a command's section.
func appsmithShow(command string) string {
	return "{{" + commandPath + " === '" + command + "'}}"
}

// appsmithOAuth2 names the datasource fields Appsmith's OAuth 2.0
// authentication already has (datasourceConfiguration.authentication.*);
// any other field is one of datasourceConfiguration.properties.
var appsmithOAuth2 = map[string]string{"scopes": "scope", "clientId": "clientId", "clientSecret": "clientSecret"}

// appsmithExport writes p as Appsmith's form files. callTimeout, when set,
// is the query timeout Appsmith should allow a call.
func appsmithExport(p *plugin.Plugin, callTimeout time.Duration) (*appsmithPlugin, error) {
	out := &appsmithPlugin{}
	ds, err := appsmithDatasourceForm(p.Datasource)
	if err != nil {
		return nil, fmt.Errorf("%s datasource form: %w", p.ID, err)
	}
	out.Form.Form = []appsmithFormSection{{SectionName: "Details", ID: 1, Children: ds}}

	options := []appsmithOption{}
	for _, c := range p.Commands {
		options = append(options, appsmithOption{Label: c.Title, Value: plugin.MarshalPlain(c.ID)})
	}
	selector := &appsmithControl{
		Label: "Command", Description: "Choose the " + p.Title + " command to run",
		ConfigProperty: commandPath, ControlType: asDropDown, IsSearchable: true, IsRequired: ptr(true), Options: options,
	}
	if len(p.Commands) > 0 {
		selector.InitialValue = plugin.MarshalPlain(p.Commands[0].ID)
	}
	root := []*appsmithContainer{{ControlType: asSection, Identifier: "SELECTOR", Children: []any{
		&appsmithContainer{ControlType: asDoubleColumn, Identifier: "SELECTOR-Z1", Children: []any{selector}},
	}}}
	for _, c := range p.Commands {
		section, err := appsmithCommandSection(c)
		if err != nil {
			return nil, fmt.Errorf("%s command %s: %w", p.ID, c.ID, err)
		}
		root = append(root, section)
	}
	out.Editor.Root.Editor = root

	timeout := &appsmithControl{Label: "Query timeout (in milliseconds)",
		Info:           "How long Appsmith waits for the plugin server to answer",
		ConfigProperty: "actionConfiguration.timeoutInMillisecond", ControlType: asInputText, DataType: "NUMBER"}
	if callTimeout > 0 {
		timeout.InitialValue = plugin.MarshalPlain(strconv.FormatInt(callTimeout.Milliseconds(), 10))
	}
	out.Setting.Setting = []appsmithFormSection{{ID: 1, Children: []*appsmithControl{
		{Label: "Run query on page load", Info: "Runs the query each time the page loads",
			ConfigProperty: "executeOnLoad", ControlType: asSwitch},
		{Label: "Request confirmation before running query", Info: "Asks the user to confirm each run",
			ConfigProperty: "confirmBeforeExecute", ControlType: asSwitch},
		timeout,
	}}}
	return out, nil
}

// appsmithCommandSection is a command's SECTION_V2: its params in the order
// the uiSchema gives, short inputs two to a row (DOUBLE_COLUMN_ZONE) and
// long text on rows of its own (SINGLE_COLUMN_ZONE), shown only while the
// command is the one chosen.
func appsmithCommandSection(c *plugin.Command) (*appsmithContainer, error) {
	sch, ui, err := parseForm(c.Form)
	if err != nil {
		return nil, err
	}
	section := &appsmithContainer{ControlType: asSection, Identifier: c.ID,
		Conditionals: &appsmithConditionals{Show: appsmithShow(c.ID)}, Children: []any{}}
	var zone *appsmithContainer
	for _, name := range fieldOrder(sch, ui) {
		ctl := editorControl(sch.Properties[name], ui.field(name), slices.Contains(sch.Required, name))
		ctl.ConfigProperty = appsmithFieldPath(c.ID, name)
		kind := asDoubleColumn
		if ctl.ControlType == asText {
			kind = asSingleColumn
		}
		if zone == nil || zone.ControlType != kind {
			zone = &appsmithContainer{ControlType: kind, Identifier: fmt.Sprintf("%s-Z%d", c.ID, len(section.Children)+1), Children: []any{}}
			section.Children = append(section.Children, zone)
		}
		zone.Children = append(zone.Children, ctl)
	}
	return section, nil
}

// editorControl is the query editor's input for one param.
func editorControl(s *jsonSchema, ui fieldUI, required bool) *appsmithControl {
	c := &appsmithControl{Label: cmp.Or(s.Title, ui.name), TooltipText: s.Description, IsRequired: ptr(required),
		Hidden: ui.Widget == "hidden", PlaceholderText: placeholder(s, ui)}
	switch {
	case ui.Widget == "file":
		// Appsmith's file picker; in an app, a FilePicker widget's
		// {{FilePicker1.files[0].data}} is what the field takes.
		c.ControlType, c.PlaceholderText = asFilePicker, ""
	case s.only("boolean"):
		c.ControlType, c.PlaceholderText = asSwitch, ""
		c.InitialValue = s.Default
	case len(s.choices()) > 0:
		c.ControlType, c.PlaceholderText = asDropDown, ""
		c.Options, c.InitialValue = s.choices(), s.Default
		c.AlternateViewTypes = []string{"json"}
	case s.only("array") && s.Items != nil && len(s.Items.choices()) > 0:
		c.ControlType, c.PlaceholderText = asDropDown, ""
		c.IsMultiSelect = true
		c.Options, c.InitialValue = s.Items.choices(), s.Default
		c.AlternateViewTypes = []string{"json"}
	case s.only("integer") || s.only("number"):
		c.ControlType, c.DataType = asInput, "NUMBER"
		c.InitialValue = textValue(s.Default)
	case s.only("string") && ui.Widget != "textarea":
		c.ControlType = asInput
		if ui.Widget == "password" {
			c.InputType = "PASSWORD"
		}
		c.InitialValue = textValue(s.Default)
	default:
		// Long text, and JSON: objects, arrays, a value of any type.
		c.ControlType = asText
		c.InitialValue = textValue(s.Default)
	}
	if c.ControlType == asInput || c.ControlType == asText {
		c.EvaluationSubstitutionType = "TEMPLATE"
	}
	return c
}

// appsmithDatasourceForm is form.json's controls: Appsmith's OAuth 2.0
// authentication (authorization code), then every field of the
// datasource's config. The datasource's name is Appsmith's own and is not
// in the form.
func appsmithDatasourceForm(f plugin.Form) ([]*appsmithControl, error) {
	sch, ui, err := parseForm(f)
	if err != nil {
		return nil, err
	}
	out := []*appsmithControl{
		{Label: "Authentication type", ConfigProperty: "datasourceConfiguration.authentication.authenticationType",
			ControlType: asInputText, IsRequired: ptr(false), Hidden: true, InitialValue: plugin.MarshalPlain("oAuth2")},
		{Label: "Grant type", ConfigProperty: "datasourceConfiguration.authentication.grantType",
			ControlType: asInputText, IsRequired: ptr(false), Hidden: true, InitialValue: plugin.MarshalPlain("authorization_code")},
	}
	property := 0
	add := func(name string, s *jsonSchema, ui fieldUI, required bool) {
		c := datasourceControl(s, ui, required)
		if auth, ok := appsmithOAuth2[name]; ok {
			c.ConfigProperty = "datasourceConfiguration.authentication." + auth
			out = append(out, c)
			return
		}
		prefix := fmt.Sprintf("datasourceConfiguration.properties[%d].", property)
		property++
		c.ConfigProperty = prefix + "value"
		out = append(out,
			&appsmithControl{Label: c.Label + " (key)", ConfigProperty: prefix + "key", ControlType: asInputText,
				IsRequired: ptr(false), Hidden: true, InitialValue: plugin.MarshalPlain(name)},
			c)
	}
	for _, name := range fieldOrder(sch, ui) {
		s := sch.Properties[name]
		switch {
		case name == "name" && s.only("string"):
			// Appsmith names datasources itself.
		case s.only("object") && len(s.Properties) > 0:
			sub := ui.field(name)
			for _, n := range fieldOrder(s, sub) {
				add(n, s.Properties[n], sub.field(n), slices.Contains(s.Required, n))
			}
		default:
			add(name, s, ui.field(name), slices.Contains(sch.Required, name))
		}
	}
	return out, nil
}

// datasourceControl is form.json's input for one config field. A
// write-only field (a secret) is encrypted, as Appsmith keeps secrets.
func datasourceControl(s *jsonSchema, ui fieldUI, required bool) *appsmithControl {
	c := &appsmithControl{Label: cmp.Or(s.Title, ui.name), TooltipText: s.Description,
		ControlType: asInputText, IsRequired: ptr(required), Hidden: ui.Widget == "hidden"}
	switch {
	case len(s.choices()) > 0:
		c.ControlType, c.Options, c.InitialValue = asDropDown, s.choices(), s.Default
	case s.only("array") && s.Items != nil && len(s.Items.choices()) > 0:
		c.ControlType, c.IsMultiSelect, c.Options, c.InitialValue = asDropDown, true, s.Items.choices(), s.Default
	case s.only("boolean"):
		c.ControlType, c.InitialValue = asSwitch, s.Default
	case s.WriteOnly || ui.Widget == "password":
		c.DataType, c.Encrypted = "PASSWORD", true
	case s.only("integer") || s.only("number"):
		c.DataType, c.InitialValue, c.PlaceholderText = "NUMBER", textValue(s.Default), placeholder(s, ui)
	default:
		c.InitialValue, c.PlaceholderText = textValue(s.Default), placeholder(s, ui)
	}
	return c
}

// jsonSchema is the part of a JSON Schema the export reads.
type jsonSchema struct {
	Type        json.RawMessage        `json:"type"`
	Title       string                 `json:"title"`
	Description string                 `json:"description"`
	Default     json.RawMessage        `json:"default"`
	Examples    []json.RawMessage      `json:"examples"`
	Enum        []json.RawMessage      `json:"enum"`
	Const       json.RawMessage        `json:"const"`
	OneOf       []*jsonSchema          `json:"oneOf"`
	Items       *jsonSchema            `json:"items"`
	Properties  map[string]*jsonSchema `json:"properties"`
	Required    []string               `json:"required"`
	WriteOnly   bool                   `json:"writeOnly"`
}

// only says whether t is the schema's one type (besides null).
func (s *jsonSchema) only(t string) bool {
	var one string
	if json.Unmarshal(s.Type, &one) == nil {
		return one == t
	}
	var many []string
	if json.Unmarshal(s.Type, &many) != nil {
		return false
	}
	many = slices.DeleteFunc(many, func(x string) bool { return x == "null" })
	return len(many) == 1 && many[0] == t
}

// choices are a field's fixed values: its enum, or a oneOf of consts with
// their titles.
func (s *jsonSchema) choices() []appsmithOption {
	var out []appsmithOption
	for _, v := range s.Enum {
		out = append(out, appsmithOption{Label: textOf(v), Value: v})
	}
	if len(out) > 0 || len(s.OneOf) == 0 {
		return out
	}
	for _, o := range s.OneOf {
		if len(o.Const) == 0 {
			return nil
		}
		out = append(out, appsmithOption{Label: cmp.Or(o.Title, textOf(o.Const)), Value: o.Const})
	}
	return out
}

// fieldUI is the part of a field's uiSchema the export reads.
type fieldUI struct {
	name        string
	Widget      string          `json:"ui:widget"`
	Placeholder string          `json:"ui:placeholder"`
	Order       []string        `json:"ui:order"`
	raw         json.RawMessage // the whole object, for nested fields
}

func (u fieldUI) field(name string) fieldUI {
	f := fieldUI{name: name}
	var all map[string]json.RawMessage
	if json.Unmarshal(u.raw, &all) == nil && all[name] != nil {
		json.Unmarshal(all[name], &f)
		f.raw = all[name]
	}
	return f
}

func parseForm(f plugin.Form) (*jsonSchema, fieldUI, error) {
	var s jsonSchema
	if err := json.Unmarshal(f.Schema, &s); err != nil {
		return nil, fieldUI{}, fmt.Errorf("schema: %w", err)
	}
	ui := fieldUI{raw: f.UISchema}
	if len(bytes.TrimSpace(f.UISchema)) > 0 {
		if err := json.Unmarshal(f.UISchema, &ui); err != nil {
			return nil, fieldUI{}, fmt.Errorf("uiSchema: %w", err)
		}
	}
	return &s, ui, nil
}

// fieldOrder is the uiSchema's ui:order, then any property it leaves out,
// by name, so the export is the same every time.
func fieldOrder(s *jsonSchema, ui fieldUI) []string {
	var out []string
	for _, name := range ui.Order {
		if _, ok := s.Properties[name]; ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	var rest []string
	for name := range s.Properties {
		if !slices.Contains(out, name) {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// placeholder is the uiSchema's placeholder, else the first example.
func placeholder(s *jsonSchema, ui fieldUI) string {
	if ui.Placeholder != "" {
		return ui.Placeholder
	}
	if len(s.Examples) > 0 {
		return textOf(s.Examples[0])
	}
	return ""
}

// textOf is a JSON value as a text input shows it: a string as it is,
// anything else as compact JSON.
func textOf(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// textValue is a default as a text input's initial value.
func textValue(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return nil
	}
	return plugin.MarshalPlain(textOf(v))
}

func ptr[T any](v T) *T { return &v }
