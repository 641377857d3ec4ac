package httpapi

import (
	"encoding/json"
	"net/http"

	"pluginserver/internal/catalog"
)

// openAPI describes this API from the same command declarations the server
// runs, so the document cannot drift from what is served.
func openAPI(c *catalog.Catalog) []byte {
	schemas := map[string]any{
		"Error": obj(map[string]any{
			"code":    map[string]any{"type": "string", "enum": []string{"invalid_input", "unauthenticated", "forbidden", "not_found", "authorization_required", "payload_too_large", "linkedin_rejected", "rate_limited", "internal", "upstream_unavailable", "upstream_timeout"}},
			"message": map[string]any{"type": "string"},
			"fields":  map[string]any{"type": "array", "items": obj(map[string]any{"field": str(), "message": str()})},
		}),
		"Envelope": obj(map[string]any{
			"status":  map[string]any{"type": "integer", "description": "LinkedIn's HTTP status; 0 when LinkedIn was not called"},
			"headers": map[string]any{"type": "object", "additionalProperties": str()},
			"output":  map[string]any{"description": "LinkedIn's JSON answer as it sent it; with dryRun, the request that would be sent"},
			"error":   ref("Error"),
			"meta":    obj(map[string]any{"command": str(), "durationMs": map[string]any{"type": "integer"}, "requestId": str(), "linkedinRequestId": str(), "dryRun": map[string]any{"type": "boolean"}}),
		}),
		"Datasource": obj(map[string]any{
			"id": str(), "plugin": str(), "name": str(), "workspace": str(), "config": map[string]any{"type": "object"},
			"authStatus":     map[string]any{"type": "string", "enum": []string{"unauthorized", "authorized", "expiring", "expired", "error"}},
			"authorizedAs":   map[string]any{"type": []string{"object", "null"}, "properties": map[string]any{"sub": str(), "name": str(), "email": str()}},
			"scopes":         map[string]any{"type": "array", "items": str()},
			"tokenExpiresAt": map[string]any{"type": []string{"string", "null"}, "format": "date-time"},
			"refreshable":    map[string]any{"type": "boolean"},
			"createdAt":      map[string]any{"type": "string", "format": "date-time"},
			"updatedAt":      map[string]any{"type": "string", "format": "date-time"},
		}),
	}
	var executeBodies []any
	for _, p := range c.Plugins() {
		schemas[p.ID+".datasource"] = json.RawMessage(p.Datasource.Schema)
		for _, cmd := range p.Commands {
			name := p.ID + "." + cmd.ID
			schemas[name] = json.RawMessage(cmd.Form.Schema)
			executeBodies = append(executeBodies, map[string]any{
				"title": cmd.Title, "type": "object", "required": []string{"command"},
				"properties": map[string]any{"command": map[string]any{"const": cmd.ID}, "params": ref(name)},
			})
		}
	}
	envelope := map[string]any{"description": "the envelope; error set when it failed", "content": jsonContent(ref("Envelope"))}
	errs := map[string]any{"default": envelope}
	op := func(summary string, okBody any, request any) map[string]any {
		o := map[string]any{"summary": summary, "responses": map[string]any{"200": map[string]any{"description": "OK", "content": jsonContent(okBody)}, "default": envelope}}
		if request != nil {
			o["requestBody"] = map[string]any{"required": true, "content": jsonContent(request)}
		}
		return o
	}
	idParam := []any{map[string]any{"name": "id", "in": "path", "required": true, "schema": str()}}
	withID := func(m map[string]any) map[string]any { m["parameters"] = idParam; return m }
	object := map[string]any{"type": "object"}
	executeOp := op("Run a command; the answer is the envelope", ref("Envelope"), map[string]any{"oneOf": executeBodies})
	executeOp["parameters"] = append(idParam,
		map[string]any{"name": "dryRun", "in": "query", "schema": map[string]any{"type": "boolean"}, "description": "return the request that would be sent, token redacted, and send nothing"})
	optionsOp := op("A field's choices for a datasource: the field's schema names its source in x-options",
		obj(map[string]any{"options": map[string]any{"type": "array", "items": obj(map[string]any{"value": str(), "label": str()})}}), nil)
	optionsOp["parameters"] = []any{idParam[0],
		map[string]any{"name": "command", "in": "path", "required": true, "schema": str()},
		map[string]any{"name": "field", "in": "path", "required": true, "schema": str()}}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "LinkedIn plugin server", "version": "1"},
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer"}},
		},
		"security": []any{map[string]any{"apiKey": []string{}}},
		"paths": map[string]any{
			"/healthz":             map[string]any{"get": op("Alive", object, nil)},
			"/readyz":              map[string]any{"get": op("Store reachable", object, nil)},
			"/oauth/callback":      map[string]any{"get": map[string]any{"summary": "LinkedIn's redirect back: 302 to the returnUrl, or an HTML page", "security": []any{}, "responses": errs}},
			"/v1/plugins":          map[string]any{"get": op("Plugins and their commands", object, nil)},
			"/v1/plugins/{plugin}": map[string]any{"get": op("A plugin with its datasource form and every command form", object, nil)},
			"/v1/plugins/{plugin}/commands/{command}": map[string]any{"get": op("A command's form: schema, uiSchema, examples", object, nil)},
			"/v1/datasources": map[string]any{
				"get":  op("Datasources of the caller's workspace", obj(map[string]any{"datasources": map[string]any{"type": "array", "items": ref("Datasource")}}), nil),
				"post": op("Create a datasource (admin)", ref("Datasource"), obj(map[string]any{"plugin": str(), "name": str(), "config": object})),
			},
			"/v1/datasources/{id}": map[string]any{
				"get":    withID(op("A datasource", ref("Datasource"), nil)),
				"patch":  withID(op("Change name or config (admin)", ref("Datasource"), obj(map[string]any{"name": str(), "config": object}))),
				"delete": withID(op("Delete, revoking the token (admin)", object, nil)),
			},
			"/v1/datasources/{id}/authorize":                 map[string]any{"post": withID(op("Start the OAuth dance (admin)", obj(map[string]any{"authorizationUrl": str(), "expiresAt": str()}), obj(map[string]any{"returnUrl": str()})))},
			"/v1/datasources/{id}/test":                      map[string]any{"post": withID(op("Call userinfo with the token", obj(map[string]any{"ok": map[string]any{"type": "boolean"}, "message": str(), "member": object}), nil))},
			"/v1/datasources/{id}/disconnect":                map[string]any{"post": withID(op("Revoke and forget the token (admin)", ref("Datasource"), nil))},
			"/v1/datasources/{id}/execute":                   map[string]any{"post": executeOp},
			"/v1/datasources/{id}/options/{command}/{field}": map[string]any{"get": optionsOp},
		},
	}
	b, _ := json.Marshal(doc)
	return b
}

func str() map[string]any            { return map[string]any{"type": "string"} }
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
func jsonContent(schema any) any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}
func obj(props map[string]any) map[string]any {
	return map[string]any{"type": "object", "properties": props}
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openAPIDoc)
}
