package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"pluginserver/internal/catalog"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

func loadOpenAPI(t *testing.T) (*openapi3.T, []byte, *catalog.Catalog) {
	t.Helper()
	cat, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	raw := openAPI(cat)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	return doc, raw, cat
}

// TestOpenAPIIsValid validates the document with kin-openapi: the
// OpenAPI 3.1 structure, every $ref, every schema, and every example
// against its schema.
func TestOpenAPIIsValid(t *testing.T) {
	doc, raw, _ := loadOpenAPI(t)
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi is %q, want 3.1", doc.OpenAPI)
	}
	err := doc.Validate(context.Background(),
		openapi3.EnableExamplesValidation(),
		// The forms carry errorMessage (our message for a pattern) and
		// x-options (a field's choices): keywords JSON Schema 2020-12
		// lets a schema carry and ignores; kin-openapi takes only x-
		// extensions unless told.
		openapi3.AllowExtraSiblingFields("errorMessage"))
	if err != nil {
		t.Fatalf("kin-openapi: %v", err)
	}
	if !json.Valid(raw) {
		t.Fatal("not JSON")
	}
}

// TestOpenAPIListsEveryRoute: every route of routes.go (the sandbox's
// apart) is in the document with its methods, and the document names no
// route the server does not serve.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	doc, _, cat := loadOpenAPI(t)
	s := &Server{Catalog: cat}
	served := map[string]bool{}
	err := chi.Walk(s.Handler().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(route, "/")
		switch {
		case strings.HasPrefix(route, "/sandbox"):
			return nil
		case route == "/*" || route == "":
			route = "/" // the console's page, at any path without an extension
		}
		served[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for r := range served {
		if !documented[r] {
			t.Errorf("%s is served but not in /openapi.json", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("%s is in /openapi.json but not served", r)
		}
	}
}

// TestOpenAPIExecute: the execute body is a oneOf of every command's
// {command, params} with its form, under every type bodyKind takes.
func TestOpenAPIExecute(t *testing.T) {
	doc, raw, _ := loadOpenAPI(t)
	var schemas struct {
		Components struct {
			Schemas map[string]struct{ Properties json.RawMessage }
		}
	}
	json.Unmarshal(raw, &schemas)
	p := linkedin.Plugin()
	op := doc.Paths.Find("/v1/datasources/{id}/execute").Post
	content := op.RequestBody.Value.Content
	for _, mt := range jsonTypes {
		if content[mt] == nil {
			t.Errorf("execute does not list the JSON body type %s", mt)
		}
	}
	for _, mt := range []string{"image/png", "image/jpeg", "video/mp4", "application/pdf", "application/octet-stream", "multipart/form-data",
		"application/msword", "application/vnd.ms-powerpoint",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.openxmlformats-officedocument.presentationml.presentation"} {
		if !isFileType(mt) {
			t.Fatalf("%s is not a file type for bodyKind", mt)
		}
		if content.Get(mt) == nil {
			t.Errorf("execute does not list the file type %s", mt)
		}
	}
	for mt := range content {
		probe := strings.Replace(mt, "*", "x", 1)
		if !isFileType(probe) && !slices.Contains(jsonTypes, mt) {
			t.Errorf("execute lists %s, which bodyKind does not take", mt)
		}
	}
	for _, code := range []string{"400", "401", "403", "404", "409", "413", "415", "422", "429", "500", "502", "504"} {
		if op.Responses.Value(code) == nil {
			t.Errorf("execute does not document %s", code)
		}
	}

	var uploads []any
	for _, cmd := range p.Commands {
		if cmd.Upload {
			uploads = append(uploads, cmd.ID)
		}
	}
	if got := op.Parameters.GetByInAndName("query", "command").Schema.Value.Enum; !slices.Equal(got, uploads) || len(uploads) == 0 {
		t.Errorf("the query's command is one of %v, want the commands that take a file, %v", got, uploads)
	}

	body := doc.Components.Schemas["ExecuteRequest"].Value
	if len(body.OneOf) != len(p.Commands) {
		t.Fatalf("ExecuteRequest has %d variants, want one per command (%d)", len(body.OneOf), len(p.Commands))
	}
	for i, cmd := range p.Commands {
		v := body.OneOf[i].Value
		if v.Properties["command"].Value.Const != cmd.ID || v.Properties["params"].Ref != "#/components/schemas/linkedin."+cmd.ID {
			t.Errorf("variant %d is not %s's: %+v", i, cmd.ID, v.Properties)
		}
		params := schemas.Components.Schemas["linkedin."+cmd.ID].Properties
		var want struct{ Properties json.RawMessage }
		json.Unmarshal(cmd.Form.Schema, &want)
		if !jsonEqual(params, want.Properties) {
			t.Errorf("linkedin.%s's properties differ from the form's:\n%s\n%s", cmd.ID, params, want.Properties)
		}
		// Each example, as the form takes it, is one variant's body and
		// no other's.
		for _, ex := range cmd.Form.Examples {
			params := ex.Params
			if cmd.Normalize != nil {
				params, _ = cmd.Normalize(params)
			}
			var value any
			json.Unmarshal([]byte(`{"command":"`+cmd.ID+`","params":`+string(params)+`}`), &value)
			if err := body.VisitJSON(value, openapi3.EnableJSONSchema2020()); err != nil {
				t.Errorf("%s example %q fails ExecuteRequest: %v", cmd.ID, ex.Title, err)
			}
		}
	}
	var wrong any
	json.Unmarshal([]byte(`{"command":"createPost","params":{"author":"person:1"}}`), &wrong)
	if body.VisitJSON(wrong, openapi3.EnableJSONSchema2020()) == nil {
		t.Error("ExecuteRequest takes a createPost without its required params")
	}
}

// TestOpenAPIErrors: the document names every error code of
// plugin/errors.go, each under the HTTP status the server answers it with.
func TestOpenAPIErrors(t *testing.T) {
	doc, _, _ := loadOpenAPI(t)
	src, err := os.ReadFile("../../plugin/errors.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := regexp.MustCompile(`(?m)^\s*\w+\s+Code = "(\w+)"`).FindAllStringSubmatch(string(src), -1)
	if len(declared) < 10 {
		t.Fatalf("found %d codes in plugin/errors.go", len(declared))
	}
	enum := doc.Components.Schemas["Error"].Value.Properties["code"].Value.Enum
	for _, m := range declared {
		code := plugin.Code(m[1])
		if !slices.Contains(enum, any(m[1])) {
			t.Errorf("code %s is not in the Error schema", code)
			continue
		}
		r := doc.Components.Responses["Error"+strconv.Itoa(code.HTTPStatus())]
		if r == nil || !strings.Contains(*r.Value.Description, string(code)+":") {
			t.Errorf("code %s is not described under %d", code, code.HTTPStatus())
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
