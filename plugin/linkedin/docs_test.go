package linkedin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// TestCommandsDoc keeps docs/commands.md what the declarations say: it is
// rendered from them, and go test -update rewrites it.
func TestCommandsDoc(t *testing.T) {
	got := renderCommands(t, linkedin.Plugin())
	path := filepath.Join("..", "..", "docs", "commands.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plugin/linkedin -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/commands.md is stale: run go test ./plugin/linkedin -update")
	}
}

type property struct {
	Type        any               `json:"type"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Examples    []json.RawMessage `json:"examples"`
	OneOf       []struct {
		Const any    `json:"const"`
		Title string `json:"title"`
	} `json:"oneOf"`
	AnyOf     []struct{ Type string } `json:"anyOf"`
	MaxLength int                     `json:"maxLength"`
	Default   any                     `json:"default"`
	Items     *property               `json:"items"`
	WriteOnly bool                    `json:"writeOnly"`
}

type objectSchema struct {
	Required   []string            `json:"required"`
	Properties map[string]property `json:"properties"`
}

func renderCommands(t *testing.T, p *plugin.Plugin) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# %s commands\n\n", p.Title)
	w("<!-- Generated from plugin/linkedin by `go test ./plugin/linkedin -update`; do not edit. -->\n\n")
	w("Run a command with `POST /v1/datasources/{id}/execute` and `{\"command\": ID, \"params\": {...}}`.\n")
	w("The answer is the envelope (see [api.md](api.md)): LinkedIn's `status`, useful `headers` and JSON `output`;\n")
	w("the analytics commands add `rows`, their output flattened for a table or chart (see [appsmith.md](appsmith.md)).\n")
	w("`GET /v1/plugins/%s/commands/{command}` serves each form below as JSON Schema with its uiSchema.\n\n", p.ID)
	for _, c := range p.Commands {
		w("- [%s](#%s) (`%s`)\n", c.Title, strings.ToLower(strings.ReplaceAll(c.Title, " ", "-")), c.ID)
	}
	w("\n")
	for _, c := range p.Commands {
		w("## %s\n\n`%s`: %s\n\n", c.Title, c.ID, c.Description)
		if len(c.Scopes) > 0 {
			w("Scopes: `%s`.\n\n", strings.Join(c.Scopes, "`, `"))
		}
		fieldsTable(t, &b, c.Form)
		for _, ex := range c.Form.Examples {
			w("### Example: %s\n\n```json\n", ex.Title)
			w("%s```\n\n", pretty(map[string]any{"command": c.ID, "params": ex.Params}))
			call, err := firstCall(c, ex.Params)
			if err != nil {
				t.Fatalf("%s: %v", c.ID, err)
			}
			if c.Run != nil && bytes.Contains(ex.Params, []byte(`"data":`)) {
				w("The file is in data; the command then calls LinkedIn several times: first\n\n")
			} else if c.Run != nil {
				w("Send the file as the request's body (raw, or multipart after its fields); ")
				w("the command then calls LinkedIn several times: first\n\n")
			} else {
				w("LinkedIn receives:\n\n")
			}
			w("```http\n%s %s\n", call.Method, call.URL)
			keys := []string{"Authorization"}
			for k := range call.Header {
				keys = append(keys, k)
			}
			slices.Sort(keys[1:])
			for _, k := range keys {
				v := call.Header.Get(k)
				if k == "Authorization" {
					v = "Bearer <the datasource's token>"
				}
				w("%s: %s\n", k, v)
			}
			if len(call.Body) > 0 {
				var body bytes.Buffer
				if json.Indent(&body, call.Body, "", "  ") == nil {
					w("\n%s\n", body.Bytes())
				} else {
					w("\n<%d bytes>\n", len(call.Body))
				}
			}
			w("```\n\n")
			if a := ex.Answer; a != nil {
				headers := a.Headers
				if headers == nil {
					headers = map[string]string{}
				}
				e := plugin.Envelope{Status: a.Status, Headers: headers, Output: a.Output,
					Meta: plugin.Meta{Command: c.ID, DurationMs: 41, RequestID: "5f2c9a1d0e3b4c7a", LinkedInRequestID: "tCAnHXdTj39cjDyvaH6v7m"}}
				if c.Rows != nil {
					e.Rows = c.Rows(a.Output)
				}
				env := pretty(e)
				w("The envelope:\n\n```json\n%s```\n\n", env)
			}
		}
	}
	w("## The datasource form\n\n`POST /v1/datasources` takes `{\"plugin\": \"%s\", \"name\": ..., \"config\": {...}}`.\n\n", p.ID)
	fieldsTable(t, &b, p.Datasource)
	var ds objectSchema
	json.Unmarshal(p.Datasource.Schema, &ds)
	configSchema, _ := json.Marshal(ds.Properties["config"])
	w("`config`:\n\n")
	fieldsTable(t, &b, plugin.Form{Schema: configSchema})
	return b.Bytes()
}

func fieldsTable(t *testing.T, b *bytes.Buffer, f plugin.Form) {
	var s objectSchema
	var raw struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(f.Schema, &s); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(f.Schema, &raw)
	if len(s.Properties) == 0 {
		b.WriteString("No params.\n\n")
		return
	}
	var ui struct {
		Order []string `json:"ui:order"`
	}
	json.Unmarshal(f.UISchema, &ui)
	order := ui.Order
	if order == nil {
		for k := range s.Properties {
			order = append(order, k)
		}
		slices.Sort(order)
	}
	b.WriteString("| field | type | required | what it is | values |\n|---|---|---|---|---|\n")
	for _, name := range order {
		fieldRow(b, name, s.Properties[name], yes(slices.Contains(s.Required, name)))
	}
	// A form whose content is one choice (sharePost) lists each branch's
	// field after the others.
	var choice struct {
		OneOf []struct {
			Title      string              `json:"title"`
			Properties map[string]property `json:"properties"`
		} `json:"oneOf"`
	}
	json.Unmarshal(f.Schema, &choice)
	for _, branch := range choice.OneOf {
		for name, p := range branch.Properties {
			fieldRow(b, name, p, "one content at most: "+branch.Title)
		}
	}
	b.WriteString("\n")
}

func fieldRow(b *bytes.Buffer, name string, p property, required string) {
	{
		typ := fmt.Sprint(p.Type)
		if p.Type == nil && len(p.AnyOf) > 0 {
			var ts []string
			for _, a := range p.AnyOf {
				ts = append(ts, a.Type)
			}
			typ = strings.Join(ts, " or ")
		} else if p.Type == nil {
			typ = "any JSON"
		}
		if p.Items != nil && p.Items.Type != nil {
			typ = fmt.Sprintf("array of %v", p.Items.Type)
		}
		var values []string
		choices := p.OneOf
		if p.Items != nil {
			choices = p.Items.OneOf
		}
		for _, o := range choices {
			values = append(values, fmt.Sprintf("`%v` (%s)", o.Const, o.Title))
		}
		if values == nil {
			for _, e := range p.Examples {
				values = append(values, "e.g. `"+string(e)+"`")
			}
		}
		desc := p.Description
		if p.WriteOnly {
			desc += " Write-only."
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", name, typ, required,
			strings.ReplaceAll(desc, "|", "\\|"), strings.ReplaceAll(strings.Join(values, ", "), "|", "\\|"))
	}
}

// pretty is indented JSON that keeps & and < as they are.
func pretty(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	return b.String()
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
