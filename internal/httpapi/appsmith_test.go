package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/internal/executor"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// versionOnly is an executor that only knows the API version.
type versionOnly struct{}

func (versionOnly) Execute(context.Context, *ps.Datasource, executor.Request) (*plugin.Envelope, error) {
	return nil, plugin.Errorf(plugin.Internal, "not in this test")
}

func (versionOnly) Options(context.Context, *ps.Datasource, string, string) ([]plugin.Option, error) {
	return nil, plugin.Errorf(plugin.Internal, "not in this test")
}

func (versionOnly) VersionInUse(context.Context, *plugin.Plugin) string { return "202610" }

// pluginsServer is the API's real routes over the LinkedIn plugin, as an
// anonymous server on loopback.
func pluginsServer(t *testing.T) http.Handler {
	t.Helper()
	c, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Catalog: c, Executor: versionOnly{}, Anonymous: true, Log: zerolog.Nop()}
	return s.Handler()
}

func get(t *testing.T, h http.Handler, target string) (int, []byte) {
	t.Helper()
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080"+target, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", target, ct)
	}
	return w.Code, w.Body.Bytes()
}

// The controls Appsmith's form engine renders that the export may use:
// the query editor's UQI controls and layout, and the datasource form's.
var (
	editorContainers = []string{"SECTION_V2", "DOUBLE_COLUMN_ZONE", "SINGLE_COLUMN_ZONE"}
	editorControls   = []string{"DROP_DOWN", "QUERY_DYNAMIC_INPUT_TEXT", "QUERY_DYNAMIC_TEXT", "SWITCH", "FILE_PICKER"}
	formControls     = []string{"INPUT_TEXT", "DROP_DOWN", "SWITCH"}
	settingControls  = []string{"INPUT_TEXT", "SWITCH"}
)

var (
	fieldPath = regexp.MustCompile(`^actionConfiguration\.formData\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\.data$`)
	showsOne  = regexp.MustCompile(`^\{\{actionConfiguration\.formData\.command\.data === '([A-Za-z0-9_]+)'\}\}$`)
)

type node = map[string]any

func TestAppsmithExport(t *testing.T) {
	h := pluginsServer(t)
	code, body := get(t, h, "/v1/plugins/linkedin?format=appsmith")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}

	// The same bytes every time, and from another server.
	for i := 0; i < 3; i++ {
		if _, again := get(t, h, "/v1/plugins/linkedin?format=appsmith"); !bytes.Equal(again, body) {
			t.Fatal("the export differs from one request to the next")
		}
	}
	if _, other := get(t, pluginsServer(t), "/v1/plugins/linkedin?format=appsmith"); !bytes.Equal(other, body) {
		t.Fatal("the export differs from one server to the next")
	}

	var out struct {
		Form    struct{ Form []node }
		Editor  map[string]json.RawMessage
		Setting struct{ Setting []node }
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	var root struct{ Editor []node }
	if len(out.Editor) != 1 || json.Unmarshal(out.Editor["root"], &root) != nil {
		t.Fatalf("editor is not {\"root\": root.json}: %s", body)
	}

	p := linkedin.Plugin()
	t.Run("editor", func(t *testing.T) { checkEditor(t, p, root.Editor) })
	t.Run("form", func(t *testing.T) { checkDatasourceForm(t, p, out.Form.Form) })
	t.Run("setting", func(t *testing.T) {
		for _, section := range out.Setting.Setting {
			for _, c := range children(t, section) {
				if !slices.Contains(settingControls, sget(c, "controlType")) || sget(c, "configProperty") == "" {
					t.Errorf("setting control %v", c)
				}
			}
		}
	})
}

// checkEditor checks root.json: the command dropdown, one section per
// command shown only for it, and each param once at its own path with the
// control its schema calls for.
func checkEditor(t *testing.T, p *plugin.Plugin, editor []node) {
	paths := map[string]int{}
	controls := map[string]node{}
	sections := map[string]int{}
	var walk func(n node, inSection string, depth int)
	walk = func(n node, inSection string, depth int) {
		ct := sget(n, "controlType")
		if show, ok := n["conditionals"]; ok {
			m := showsOne.FindStringSubmatch(sget(show.(node), "show"))
			if m == nil || len(show.(node)) != 1 {
				t.Errorf("conditionals %v: want show of one command", show)
			} else if _, found := p.Command(m[1]); !found {
				t.Errorf("conditionals %v name no command", show)
			} else if ct != "SECTION_V2" || depth != 0 || sget(n, "identifier") != m[1] {
				t.Errorf("%s %q shown for %s: only a command's section is", ct, sget(n, "identifier"), m[1])
			} else {
				inSection = m[1]
				sections[m[1]]++
			}
		}
		switch {
		case slices.Contains(editorContainers, ct):
			if sget(n, "identifier") == "" || n["configProperty"] != nil {
				t.Errorf("%s %v: a container has an identifier and no configProperty", ct, n)
			}
			if (ct == "SECTION_V2") != (depth == 0) {
				t.Errorf("%s at depth %d", ct, depth)
			}
			for _, c := range children(t, n) {
				walk(c, inSection, depth+1)
			}
		case slices.Contains(editorControls, ct):
			if n["children"] != nil || sget(n, "label") == "" {
				t.Errorf("control %v: want a label and no children", n)
			}
			if _, ok := n["isRequired"].(bool); !ok {
				t.Errorf("control %v: no isRequired", n)
			}
			path := sget(n, "configProperty")
			paths[path]++
			controls[path] = n
			if path == commandPath {
				if inSection != "" {
					t.Errorf("the command dropdown is in %s's section", inSection)
				}
				return
			}
			m := fieldPath.FindStringSubmatch(path)
			if m == nil {
				t.Errorf("configProperty %q: want actionConfiguration.formData.<command>.<field>.data", path)
			} else if m[1] != inSection {
				t.Errorf("%s is in the section of %q", path, inSection)
			}
		default:
			t.Errorf("controlType %q is not in Appsmith's vocabulary here: %v", ct, n)
		}
	}
	for _, n := range editor {
		walk(n, "", 0)
	}

	// The command dropdown: every command, by id, titled.
	sel := controls[commandPath]
	if sel == nil || paths[commandPath] != 1 || sget(sel, "controlType") != "DROP_DOWN" || sel["isRequired"] != true {
		t.Fatalf("command dropdown %v (%d)", sel, paths[commandPath])
	}
	var want []any
	for _, c := range p.Commands {
		want = append(want, node{"label": c.Title, "value": c.ID})
	}
	if got := sel["options"]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("command options %v, want %v", got, want)
	}
	if sel["initialValue"] != p.Commands[0].ID {
		t.Errorf("command initialValue %v", sel["initialValue"])
	}

	// Every param of every command once, at its own path, and nothing else.
	seen := 1
	for _, c := range p.Commands {
		if sections[c.ID] != 1 {
			t.Errorf("%s has %d sections", c.ID, sections[c.ID])
		}
		var s jsonSchema
		if err := json.Unmarshal(c.Form.Schema, &s); err != nil {
			t.Fatal(err)
		}
		for name, prop := range s.Properties {
			path := appsmithFieldPath(c.ID, name)
			if paths[path] != 1 {
				t.Errorf("%s appears %d times", path, paths[path])
				continue
			}
			seen++
			checkControl(t, path, controls[path], prop, fieldUIOf(c.Form.UISchema, name), slices.Contains(s.Required, name))
		}
	}
	if seen != len(paths) {
		var extra []string
		for path := range paths {
			if m := fieldPath.FindStringSubmatch(path); m != nil {
				if c, ok := p.Command(m[1]); !ok || !hasProperty(c, m[2]) {
					extra = append(extra, path)
				}
			}
		}
		t.Errorf("controls for no param: %v", extra)
	}
	if len(sections) != len(p.Commands) {
		t.Errorf("%d command sections for %d commands", len(sections), len(p.Commands))
	}

	// Spot checks of what Appsmith's builders see.
	for path, want := range map[string]node{
		"actionConfiguration.formData.createPost.author.data":              {"controlType": "QUERY_DYNAMIC_INPUT_TEXT", "isRequired": true, "label": "Author"},
		"actionConfiguration.formData.createPost.text.data":                {"controlType": "QUERY_DYNAMIC_TEXT", "isRequired": true},
		"actionConfiguration.formData.createPost.visibility.data":          {"controlType": "DROP_DOWN", "initialValue": "PUBLIC"},
		"actionConfiguration.formData.uploadMedia.data.data":               {"controlType": "FILE_PICKER"},
		"actionConfiguration.formData.uploadImage.waitUntilAvailable.data": {"controlType": "SWITCH", "initialValue": false},
		"actionConfiguration.formData.listPosts.count.data":                {"controlType": "QUERY_DYNAMIC_INPUT_TEXT", "dataType": "NUMBER", "initialValue": "10"},
		"actionConfiguration.formData.customAction.body.data":              {"controlType": "QUERY_DYNAMIC_TEXT", "isRequired": false},
	} {
		for k, v := range want {
			if got := controls[path][k]; got != v {
				t.Errorf("%s: %s %v, want %v", path, k, got, v)
			}
		}
	}
	if opts := fmt.Sprint(controls["actionConfiguration.formData.createPost.visibility.data"]["options"]); opts != "[map[label:Anyone on or off LinkedIn value:PUBLIC] map[label:Connections only value:CONNECTIONS]]" {
		t.Errorf("visibility options %s", opts)
	}
}

// checkControl checks a param's control against its schema.
func checkControl(t *testing.T, path string, c node, s *jsonSchema, ui fieldUI, required bool) {
	t.Helper()
	ct := sget(c, "controlType")
	if c["isRequired"] != required {
		t.Errorf("%s: isRequired %v, want %v", path, c["isRequired"], required)
	}
	if s.Title != "" && sget(c, "label") != s.Title {
		t.Errorf("%s: label %q, want %q", path, sget(c, "label"), s.Title)
	}
	if s.Description != "" && sget(c, "tooltipText") != s.Description {
		t.Errorf("%s: tooltipText %q, want the description", path, sget(c, "tooltipText"))
	}
	var want string
	switch {
	case ui.Widget == "file":
		want = "FILE_PICKER"
	case s.only("boolean"):
		want = "SWITCH"
	case len(s.choices()) > 0:
		want = "DROP_DOWN"
		var values []string
		for _, o := range s.choices() {
			values = append(values, string(o.Value))
		}
		var got []string
		for _, o := range c["options"].([]any) {
			b, _ := json.Marshal(o.(node)["value"])
			got = append(got, string(b))
			if sget(o.(node), "label") == "" {
				t.Errorf("%s: option %v has no label", path, o)
			}
		}
		if !slices.Equal(got, values) {
			t.Errorf("%s: options %v, want %v", path, got, values)
		}
	case s.only("integer") || s.only("number"):
		want = "QUERY_DYNAMIC_INPUT_TEXT"
		if c["dataType"] != "NUMBER" {
			t.Errorf("%s: a number without dataType NUMBER", path)
		}
	case s.only("string") && ui.Widget == "textarea":
		want = "QUERY_DYNAMIC_TEXT"
	case s.only("object"):
		want = "QUERY_DYNAMIC_TEXT"
	}
	if want != "" && ct != want {
		t.Errorf("%s: controlType %s, want %s", path, ct, want)
	}
	if len(s.Default) > 0 && c["initialValue"] == nil {
		t.Errorf("%s: default %s has no initialValue", path, s.Default)
	}
}

// checkDatasourceForm checks form.json: every config field once, on
// datasourceConfiguration, the secret encrypted.
func checkDatasourceForm(t *testing.T, p *plugin.Plugin, sections []node) {
	var ds struct {
		Properties map[string]struct {
			Properties map[string]struct {
				WriteOnly bool `json:"writeOnly"`
				Title     string
			}
		}
	}
	if err := json.Unmarshal(p.Datasource.Schema, &ds); err != nil {
		t.Fatal(err)
	}
	fields := ds.Properties["config"].Properties
	if len(fields) == 0 {
		t.Fatal("the datasource form has no config fields")
	}
	byLabel := map[string][]node{}
	paths := map[string]bool{}
	for _, section := range sections {
		if sget(section, "sectionName") == "" {
			t.Errorf("section %v has no name", section)
		}
		for _, c := range children(t, section) {
			path := sget(c, "configProperty")
			if !strings.HasPrefix(path, "datasourceConfiguration.") || paths[path] {
				t.Errorf("configProperty %q: not on datasourceConfiguration, or twice", path)
			}
			paths[path] = true
			if !slices.Contains(formControls, sget(c, "controlType")) {
				t.Errorf("form controlType %q", sget(c, "controlType"))
			}
			if c["hidden"] != true {
				byLabel[sget(c, "label")] = append(byLabel[sget(c, "label")], c)
			}
		}
	}
	if !paths["datasourceConfiguration.authentication.authenticationType"] {
		t.Error("no authentication type")
	}
	secrets := 0
	for name, f := range fields {
		shown := byLabel[f.Title]
		if len(shown) != 1 {
			t.Errorf("config field %s (%q) is shown %d times", name, f.Title, len(shown))
			continue
		}
		c := shown[0]
		if (c["encrypted"] == true) != f.WriteOnly {
			t.Errorf("%s: encrypted %v, writeOnly %v", name, c["encrypted"], f.WriteOnly)
		}
		if f.WriteOnly {
			secrets++
			if c["dataType"] != "PASSWORD" || !strings.HasPrefix(sget(c, "configProperty"), "datasourceConfiguration.authentication.") {
				t.Errorf("secret %s: %v", name, c)
			}
		}
	}
	if secrets == 0 {
		t.Error("no secret in the datasource form: clientSecret is write-only")
	}
	if c := byLabel[fields["clientSecret"].Title]; len(c) != 1 || sget(c[0], "configProperty") != "datasourceConfiguration.authentication.clientSecret" {
		t.Errorf("clientSecret control %v", c)
	}
	if c := byLabel[fields["scopes"].Title]; len(c) != 1 || c[0]["isMultiSelect"] != true || sget(c[0], "controlType") != "DROP_DOWN" {
		t.Errorf("scopes control %v", c)
	}
}

func TestAppsmithFormat(t *testing.T) {
	h := pluginsServer(t)
	for _, target := range []string{
		"/v1/plugins/linkedin?format=xml",
		"/v1/plugins/linkedin?format=Appsmith",
		"/v1/plugins/linkedin?format=appsmith&format=appsmith",
		"/v1/plugins/nope?format=json",
	} {
		code, body := get(t, h, target)
		var env struct {
			Error struct {
				Code   string
				Fields []struct{ Field, Message string }
			}
		}
		if err := json.Unmarshal(body, &env); err != nil || code != http.StatusBadRequest || env.Error.Code != "invalid_input" ||
			len(env.Error.Fields) != 1 || env.Error.Fields[0].Field != "format" || env.Error.Fields[0].Message == "" {
			t.Errorf("%s: %d %s, want 400 invalid_input on format", target, code, body)
		}
	}

	// Without format (or with it empty), the JSON Schema forms as before.
	for _, target := range []string{"/v1/plugins/linkedin", "/v1/plugins/linkedin?format="} {
		code, body := get(t, h, target)
		var v struct {
			ID         string
			Datasource *formView
			Commands   []commandView
			Version    string
		}
		if err := json.Unmarshal(body, &v); err != nil || code != 200 || v.ID != "linkedin" || v.Datasource == nil ||
			len(v.Commands) != len(linkedin.Plugin().Commands) || v.Version != "202610" {
			t.Errorf("%s: %d %.200s", target, code, body)
		}
	}

	if code, body := get(t, h, "/v1/plugins/nope?format=appsmith"); code != http.StatusNotFound {
		t.Errorf("unknown plugin: %d %s", code, body)
	}
}

func children(t *testing.T, n node) []node {
	t.Helper()
	raw, ok := n["children"].([]any)
	if !ok {
		t.Errorf("%v has no children", n)
		return nil
	}
	out := make([]node, 0, len(raw))
	for _, c := range raw {
		m, ok := c.(node)
		if !ok {
			t.Errorf("child %v is not an object", c)
			continue
		}
		out = append(out, m)
	}
	return out
}

func sget(n node, k string) string {
	s, _ := n[k].(string)
	return s
}

func fieldUIOf(uiSchema json.RawMessage, name string) fieldUI {
	return fieldUI{raw: uiSchema}.field(name)
}

func hasProperty(c *plugin.Command, name string) bool {
	var s jsonSchema
	json.Unmarshal(c.Form.Schema, &s)
	_, ok := s.Properties[name]
	return ok
}
