package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/plugin"
)

// openAPI describes every route of routes.go as OpenAPI 3.1, from the same
// declarations the server runs, so the document cannot drift from what is
// served: each command's params schema, the execute body in every type
// bodyKind takes, and the error statuses of plugin/errors.go, each error in
// the envelope's shape.
func openAPI(c *catalog.Catalog) []byte {
	schemas := map[string]any{
		"Error": oaObject([]string{"code", "message"}, map[string]any{
			"code":    map[string]any{"type": "string", "enum": oaCodeNames(oaCodes)},
			"message": oaString("What went wrong, for a person."),
			"fields":  oaArray(oaRef("FieldProblem"), "Every field at fault."),
		}),
		"FieldProblem": oaObject([]string{"field", "message"}, map[string]any{
			"field":   oaString("The field's path in the params or body (media.0.title), or a header's name."),
			"message": oaString(""),
		}),
		"Envelope": oaObject([]string{"status", "headers", "output", "meta"}, map[string]any{
			"status":  map[string]any{"type": "integer", "description": "LinkedIn's HTTP status; 0 when LinkedIn was not called."},
			"headers": oaStringMap("LinkedIn's useful answer headers, lower-case."),
			"output": map[string]any{"type": []string{"object", "array", "string", "number", "boolean", "null"},
				"description": "LinkedIn's JSON answer as it sent it, null when it sent none; with dryRun, the request that would be sent, token redacted."},
			"series": map[string]any{"type": "object", "description": "The rows' numbers as chart series, one per numeric column, each a list of {x, y}: x is the row's date, or a breakdown's value (the series then named facet.column). Absent when no row has a date or a breakdown value.",
				"additionalProperties": map[string]any{"type": "array", "items": oaObject([]string{"x", "y"}, map[string]any{"x": oaString("The day (YYYY-MM-DD) or the breakdown's value."), "y": map[string]any{"type": "number"}})}},
			"rows": map[string]any{"type": "array", "items": map[string]any{"type": "object"},
				"description": "For a command that declares them (the analytics commands), output flattened for a table or chart: one flat object per day, month or breakdown value, e.g. {\"date\":\"2026-11-01\",\"organicFollowerGain\":12}. Absent on errors, dry runs and other commands."},
			"error": oaRef("Error"),
			"meta":  oaRef("Meta"),
		}),
		"ErrorEnvelope": map[string]any{"description": "The envelope of an error: error is set.",
			"allOf": []any{oaRef("Envelope"), map[string]any{"required": []string{"error"}}}},
		"Meta": oaObject([]string{"durationMs"}, map[string]any{
			"command":           oaString(""),
			"durationMs":        map[string]any{"type": "integer"},
			"requestId":         oaString("Also in the X-Request-Id header; the log's key for this request."),
			"linkedinRequestId": oaString("LinkedIn's x-li-request-id."),
			"dryRun":            map[string]any{"type": "boolean"},
			"coalesced":         map[string]any{"type": "boolean", "description": "The answer came from one LinkedIn call that identical reads in flight on the datasource shared."},
			"cache":             map[string]any{"type": "string", "enum": []string{"hit"}, "description": "hit: the answer came from the datasource's read cache (config readCacheSeconds), without a LinkedIn call; the Age header says how old it is."},
			"progress": oaObject([]string{"sentBytes", "totalBytes", "parts"}, map[string]any{
				"sentBytes": map[string]any{"type": "integer"}, "totalBytes": map[string]any{"type": "integer"}, "parts": map[string]any{"type": "integer"}}),
		}),
		"Datasource": oaObject([]string{"id", "plugin", "name", "workspace", "config", "authStatus", "authorizedAs", "scopes", "tokenExpiresAt", "refreshable", "createdAt", "updatedAt", "limits"}, map[string]any{
			"id": oaString(""), "plugin": oaString(""), "name": oaString(""), "workspace": oaString(""),
			"config":         map[string]any{"type": "object", "description": "The plugin's datasource config, without the write-only clientSecret."},
			"authStatus":     map[string]any{"type": "string", "enum": []string{ps.StatusUnauthorized, ps.StatusAuthorized, ps.StatusExpiring, ps.StatusExpired, ps.StatusError}},
			"authorizedAs":   map[string]any{"oneOf": []any{oaRef("Member"), map[string]any{"type": "null"}}},
			"scopes":         oaArray(oaString(""), "The scopes LinkedIn granted."),
			"tokenExpiresAt": map[string]any{"type": []string{"string", "null"}, "format": "date-time"},
			"refreshable":    map[string]any{"type": "boolean"},
			"authError":      oaString("Why authStatus is error or expired."),
			"createdAt":      map[string]any{"type": "string", "format": "date-time"},
			"updatedAt":      map[string]any{"type": "string", "format": "date-time"},
			"warning":        oaString("What went wrong on the side, such as a revocation LinkedIn did not confirm, or what will: scopes no single LinkedIn app grants together."),
			"limits":         map[string]any{"oneOf": []any{oaRef("KnownLimits"), map[string]any{"type": "null"}}},
		}),
		"Member": oaObject([]string{"sub"}, map[string]any{"sub": oaString(""), "name": oaString(""), "email": oaString("")}),
		"KnownLimits": oaArray(oaRef("KnownLimit"),
			"LinkedIn's limits known reached, one per scope and endpoint, the longest first."),
		"KnownLimit": oaObject([]string{"scope", "endpoint", "exhaustedUntil", "reason"}, map[string]any{
			"scope": map[string]any{"type": "string", "enum": []string{"member", "app", "datasource"},
				"description": "member: the daily limit of the member who authorized the datasource, in its app; app: its app's daily limit; datasource: a short pause LinkedIn asked of it."},
			"endpoint":       oaString(`The endpoint the limit is of, e.g. "POST /rest/posts"; "custom" for the routes the plugin does not know.`),
			"exhaustedUntil": map[string]any{"type": "string", "format": "date-time"}, "reason": oaString("")}),
		"CommandSummary": oaObject([]string{"id", "title", "description", "scopes"}, map[string]any{
			"id": oaString(""), "title": oaString(""), "description": oaString(""), "scopes": oaArray(oaString(""), "The permissions that admit the command's calls as the member (each call needs any one of its endpoint's); acting as a page or reading needs others, named when a call is refused.")}),
		"Form": oaObject([]string{"schema", "uiSchema", "examples"}, map[string]any{
			"schema":   map[string]any{"type": "object", "description": "JSON Schema (draft-07) of the form."},
			"uiSchema": map[string]any{"type": "object", "description": "react-jsonschema-form's uiSchema."},
			"examples": oaArray(oaObject([]string{"title", "params"}, map[string]any{
				"title": oaString(""), "params": map[string]any{}, "answer": map[string]any{"type": "object"}}), ""),
		}),
		"Command": map[string]any{"allOf": []any{oaRef("CommandSummary"), oaRef("Form")}},
		"PluginSummary": oaObject([]string{"id", "title", "description", "commands"}, map[string]any{
			"id": oaString(""), "title": oaString(""), "description": oaString(""), "commands": oaArray(oaRef("CommandSummary"), "")}),
		"Plugin": oaObject([]string{"id", "title", "description", "datasource", "commands"}, map[string]any{
			"id": oaString(""), "title": oaString(""), "description": oaString(""),
			"datasource": oaRef("Form"),
			"commands":   oaArray(oaRef("Command"), ""),
			"version":    oaString("The API version calls carry when a datasource pins none."),
		}),
		"Options": oaObject([]string{"options"}, map[string]any{
			"options": oaArray(oaObject([]string{"value", "label"}, map[string]any{"value": oaString(""), "label": oaString("")}), ""),
			"warning": oaString("Why some choices are missing, when LinkedIn listed only some."),
		}),
	}

	var executeBodies, createBodies, fileCommands []any
	answers := map[string]any{}
	for _, p := range c.Plugins() {
		ds := oaForm(p.Datasource.Schema)
		schemas[p.ID+".datasource"] = ds
		props, _ := ds["properties"].(map[string]any)
		createBodies = append(createBodies, map[string]any{
			"title": p.Title, "type": "object", "additionalProperties": false, "required": []string{"plugin", "name"},
			"properties": map[string]any{"plugin": map[string]any{"const": p.ID}, "name": props["name"], "config": props["config"]},
		})
		for _, cmd := range p.Commands {
			name := p.ID + "." + cmd.ID
			params := oaForm(cmd.Form.Schema)
			params["title"], params["description"] = cmd.Title, cmd.Description
			schemas[name] = params
			body := map[string]any{
				"title": cmd.Title, "type": "object", "additionalProperties": false, "required": []string{"command"},
				"properties": map[string]any{"command": map[string]any{"const": cmd.ID}, "params": oaRef(name)},
			}
			if need, _ := params["required"].([]any); len(need) > 0 {
				body["required"] = []string{"command", "params"}
			}
			var examples []any
			for _, ex := range cmd.Form.Examples {
				examples = append(examples, map[string]any{"command": cmd.ID, "params": oaExample(cmd, ex.Params)})
				if a := ex.Answer; a != nil {
					headers := a.Headers
					if headers == nil {
						headers = map[string]string{}
					}
					answers[fmt.Sprintf("%s.%s.%d", p.ID, cmd.ID, len(answers)+1)] = map[string]any{"summary": cmd.Title + ": " + ex.Title,
						"value": exampleEnvelope(cmd, a, headers)}
				}
			}
			if examples != nil {
				body["examples"] = examples
			}
			executeBodies = append(executeBodies, body)
			if cmd.Upload && (cmd.Stream != nil || cmd.Run != nil) {
				fileCommands = append(fileCommands, cmd.ID)
			}
		}
	}
	schemas["ExecuteRequest"] = map[string]any{"description": "A command and its params, checked against the command's form.", "oneOf": executeBodies}
	schemas["DatasourceCreate"] = map[string]any{"description": "A datasource's plugin, name and config, checked against the plugin's datasource form.", "oneOf": createBodies}
	schemas["DatasourceUpdate"] = map[string]any{"type": "object", "additionalProperties": false,
		"description": "A new name, a new config (which replaces the whole config), or both; checked against the plugin's datasource form.",
		"properties":  map[string]any{"name": map[string]any{"type": "string"}, "config": map[string]any{"type": "object"}}}

	idParam := map[string]any{"name": "id", "in": "path", "required": true, "schema": oaString(""), "description": "The datasource's id."}
	op := func(summary string, codes []plugin.Code, ok map[string]any) map[string]any {
		responses := oaErrors(codes)
		for status, r := range ok {
			responses[status] = r
		}
		return map[string]any{"summary": summary, "responses": responses}
	}
	withBody := func(o map[string]any, required bool, schema any) map[string]any {
		o["requestBody"] = map[string]any{"required": required, "content": oaJSON(schema)}
		return o
	}
	withParams := func(o map[string]any, params ...any) map[string]any {
		o["parameters"] = params
		return o
	}
	public := func(o map[string]any) map[string]any {
		o["security"] = []any{}
		return o
	}
	// The codes each kind of route answers with, besides the guard's
	// forbidden and the internal error any route may meet.
	var (
		read    = []plugin.Code{plugin.Unauthenticated, plugin.Forbidden, plugin.NotFound, plugin.Internal}
		write   = append(slices.Clone(read), plugin.InvalidInput, plugin.PayloadTooLarge, plugin.RateLimited)
		linked  = append(slices.Clone(read), plugin.InvalidInput, plugin.AuthorizationRequired, plugin.LinkedInRejected, plugin.RateLimited, plugin.UpstreamUnavailable, plugin.UpstreamTimeout)
		execute = append(slices.Clone(linked), plugin.RequestInProgress, plugin.PayloadTooLarge, plugin.UnsupportedMediaType)
		guarded = []plugin.Code{plugin.Forbidden}
	)

	executeOp := op("Run a command: the answer is the envelope, LinkedIn's answer in output", execute, oaEnvelope(answers))
	executeOp["description"] = "The body is {command, params} as JSON, sent as application/json, application/x-www-form-urlencoded (what curl -d sends) or text/plain (a browser's fetch with a string body), or with no Content-Type. " +
		"A command that takes a file (" + oaJoin(fileCommands) + ") also takes it as the request's own body, streamed to LinkedIn: raw under its media type (image/*, video/*, application/pdf, Office documents, application/octet-stream), " +
		"or multipart/form-data with the params as fields before the file part; the command and params then come in the query, read as the types the form declares. " +
		"With command in the query, any body is taken as a file. Any other Content-Type is 415."
	executeOp["requestBody"] = map[string]any{"required": false, "content": oaExecuteBodies()}
	executeOp["parameters"] = []any{idParam,
		map[string]any{"name": "dryRun", "in": "query", "schema": map[string]any{"type": "boolean"}, "description": "Return the request that would be sent, token redacted, and send nothing."},
		map[string]any{"name": "command", "in": "query", "schema": map[string]any{"type": "string", "enum": fileCommands},
			"description": "With a file as the body: the command. Its presence makes any body a file."},
		map[string]any{"name": "params", "in": "query", "style": "form", "explode": true, "schema": oaStringMap(""),
			"description": "With a file as the body: each of the command's params as a query parameter (author=person:782bbtaQ&waitUntilAvailable=true)."},
		map[string]any{"name": "Cache-Control", "in": "header", "schema": map[string]any{"type": "string"},
			"description": "no-cache: a read skips the datasource's read cache, and LinkedIn's answer refreshes it."},
		map[string]any{"name": "Idempotency-Key", "in": "header", "schema": map[string]any{"type": "string", "minLength": 1, "maxLength": 255},
			"description": "Run the execute once: the same key with the same datasource, command and params within 24 hours answers with the stored envelope."},
	}

	optionsOp := op("A field's choices for a datasource (the field's schema names its source in x-options)", linked, oaOK(oaRef("Options")))
	optionsOp["parameters"] = []any{idParam,
		map[string]any{"name": "command", "in": "path", "required": true, "schema": oaString("")},
		map[string]any{"name": "field", "in": "path", "required": true, "schema": oaString("")}}

	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "LinkedIn plugin server", "version": "1",
			"description": "Datasources for low-code builders: JSON-schema forms per command, one-click OAuth, and commands answered in an envelope. Errors on every route have the envelope's shape."},
		"components": map[string]any{
			"schemas":   schemas,
			"responses": oaErrorResponses(),
			"headers": map[string]any{
				"X-Request-Id": map[string]any{"description": "The request's id (the caller's, when it sent a sane one).", "schema": oaString("")},
				"Retry-After":  map[string]any{"description": "Seconds to wait before trying again.", "schema": map[string]any{"type": "integer"}},
			},
			"securitySchemes": map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer",
				"description": "An API key (PLUGIN_SERVER_API_KEYS). A server without keys, on loopback, takes calls without one as admin of workspace default."}},
		},
		"security": []any{map[string]any{"apiKey": []string{}}},
		"paths": map[string]any{
			"/": map[string]any{"get": public(op("The web console (it asks for an API key and keeps it in session storage)", guarded,
				map[string]any{"200": map[string]any{"description": "The console's page", "content": map[string]any{"text/html": map[string]any{}}}}))},
			"/healthz": map[string]any{"get": public(op("Alive", guarded, oaOK(oaObject([]string{"status"}, map[string]any{"status": map[string]any{"const": "ok"}}))))},
			"/readyz": map[string]any{"get": public(op("Ready: the store answers", guarded, map[string]any{
				"200": map[string]any{"description": "Ready", "content": oaJSON(oaObject([]string{"status"}, map[string]any{"status": map[string]any{"const": "ready"}}))},
				"503": map[string]any{"description": "The store does not answer", "content": oaJSON(oaObject([]string{"status"}, map[string]any{"status": map[string]any{"const": "store unreachable"}}))},
			}))},
			"/openapi.json": map[string]any{"get": public(op("This document", guarded, oaOK(map[string]any{"type": "object"})))},
			"/metrics": map[string]any{"get": public(op("Prometheus metrics, to loopback callers only unless PLUGIN_SERVER_METRICS_PUBLIC; not found when metrics are off", []plugin.Code{plugin.Forbidden, plugin.NotFound},
				map[string]any{"200": map[string]any{"description": "Prometheus's text format", "content": map[string]any{"text/plain": map[string]any{"schema": oaString("")}}}}))},
			"/oauth/callback": map[string]any{"get": withParams(public(op("LinkedIn sends the member's browser back here: a redirect to the returnUrl, or a page saying what happened", guarded, map[string]any{
				"302": map[string]any{"description": "To the returnUrl, with datasourceId, status and, on failure, error and message", "headers": map[string]any{"Location": map[string]any{"schema": oaString("")}}},
				"200": map[string]any{"description": "Authorized: a page that says so", "content": map[string]any{"text/html": map[string]any{}}},
				"400": map[string]any{"description": "Not authorized: a page with the reason", "content": map[string]any{"text/html": map[string]any{}}},
			})),
				map[string]any{"name": "state", "in": "query", "schema": oaString(""), "description": "The single-use state of the authorization."},
				map[string]any{"name": "code", "in": "query", "schema": oaString(""), "description": "LinkedIn's authorization code."},
				map[string]any{"name": "error", "in": "query", "schema": oaString(""), "description": "LinkedIn's error, when the member did not approve."},
				map[string]any{"name": "error_description", "in": "query", "schema": oaString("")})},
			"/v1/me": map[string]any{"get": op("Who the caller's key is: its workspace and role", read,
				oaOK(oaObject([]string{"workspace", "role"}, map[string]any{"workspace": oaString(""), "role": oaString("admin or builder")})))},
			"/v1/plugins": map[string]any{"get": op("Plugins and their commands", read,
				oaOK(oaObject([]string{"plugins"}, map[string]any{"plugins": oaArray(oaRef("PluginSummary"), "")})))},
			"/v1/plugins/{plugin}": map[string]any{"get": withParams(op("A plugin with its datasource form and every command's form", read,
				oaOK(map[string]any{"anyOf": []any{oaRef("Plugin"), map[string]any{"type": "object", "title": "Appsmith form files",
					"description": "With format=appsmith: the plugin as Appsmith's form files describe one (a datasource form.json and an editor/root.json)."}}})),
				map[string]any{"name": "plugin", "in": "path", "required": true, "schema": oaString("")},
				map[string]any{"name": "format", "in": "query", "schema": map[string]any{"type": "string", "enum": []string{"appsmith"}}, "description": "appsmith: Appsmith's own form files."})},
			"/v1/plugins/{plugin}/commands/{command}": map[string]any{"get": withParams(op("A command's form: schema, uiSchema, examples", read, oaOK(oaRef("Command"))),
				map[string]any{"name": "plugin", "in": "path", "required": true, "schema": oaString("")},
				map[string]any{"name": "command", "in": "path", "required": true, "schema": oaString("")})},
			"/v1/datasources": map[string]any{
				"get": op("The datasources of the caller's workspace", read,
					oaOK(oaObject([]string{"datasources"}, map[string]any{"datasources": oaArray(oaRef("Datasource"), "")}))),
				"post": withBody(op("Create a datasource (admin)", write,
					map[string]any{"201": map[string]any{"description": "Created", "content": oaJSON(oaRef("Datasource"))}}), true, oaRef("DatasourceCreate")),
			},
			"/v1/datasources/{id}": map[string]any{
				"parameters": []any{idParam},
				"get":        op("A datasource", read, oaOK(oaRef("Datasource"))),
				"patch":      withBody(op("Rename it or replace its config (admin)", write, oaOK(oaRef("Datasource"))), true, oaRef("DatasourceUpdate")),
				"delete": op("Delete it, revoking its token at LinkedIn (admin)", read, oaOK(oaObject([]string{"id", "deleted"}, map[string]any{
					"id": oaString(""), "deleted": map[string]any{"const": true}, "warning": oaString("Set when LinkedIn did not confirm the revocation.")}))),
			},
			"/v1/datasources/{id}/authorize": map[string]any{"parameters": []any{idParam},
				"post": withBody(op("Start authorizing it (admin): open authorizationUrl in a browser", write,
					oaOK(oaObject([]string{"authorizationUrl", "expiresAt"}, map[string]any{"authorizationUrl": oaString("LinkedIn's consent page."), "expiresAt": map[string]any{"type": "string", "format": "date-time"}}))),
					false, oaObject(nil, map[string]any{"returnUrl": oaString("Where the browser goes back to; its origin must be in PLUGIN_SERVER_RETURN_ORIGINS.")}))},
			"/v1/datasources/{id}/test": map[string]any{"parameters": []any{idParam},
				"post": op("Run the plugin's health-check command with its token", read, oaOK(oaObject([]string{"ok", "message", "member"}, map[string]any{
					"ok": map[string]any{"type": "boolean"}, "message": oaString(""), "code": map[string]any{"type": "string", "enum": oaCodeNames(oaCodes)},
					"member": map[string]any{"description": "The health check's output (who the token acts as), null when it failed."}})))},
			"/v1/datasources/{id}/disconnect": map[string]any{"parameters": []any{idParam},
				"post": op("Revoke and forget its token (admin)", read, oaOK(oaRef("Datasource")))},
			"/v1/datasources/{id}/execute":                   map[string]any{"post": executeOp},
			"/v1/datasources/{id}/options/{command}/{field}": map[string]any{"get": optionsOp},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("openapi: " + err.Error())
	}
	return b
}

// oaCodes are the envelope's error codes (plugin/errors.go) with when
// each is answered; the HTTP status comes from the code.
var oaCodes = []struct {
	code plugin.Code
	when string
}{
	{plugin.InvalidInput, "malformed JSON, unknown fields, params that fail the form or a check: every problem in fields"},
	{plugin.Unauthenticated, "a missing or unknown API key"},
	{plugin.Forbidden, "a builder's key on an admin route; without API keys, a Host that is not loopback or a cross-site request"},
	{plugin.NotFound, "an unknown plugin, command, route or datasource (another workspace's included)"},
	{plugin.AuthorizationRequired, "the datasource was never authorized or was disconnected, its token expired, LinkedIn refused it, or it lacks a scope the command needs"},
	{plugin.RequestInProgress, "an execute with the same Idempotency-Key is running, or was interrupted"},
	{plugin.PayloadTooLarge, "a body over the server's limit"},
	{plugin.UnsupportedMediaType, "an execute body that is neither JSON nor a file"},
	{plugin.MethodNotAllowed, "a route asked with a method it does not answer; the Allow header lists those it does"},
	{plugin.LinkedInRejected, "LinkedIn answered 4xx (not 401 or 429): status and output are LinkedIn's"},
	{plugin.RateLimited, "LinkedIn answered 429, a limit it reported still holds, or the workspace is using its whole share of the server (Retry-After)"},
	{plugin.Internal, "the server's fault: the detail is in its log under meta.requestId"},
	{plugin.UpstreamUnavailable, "LinkedIn answered 5xx, could not be reached or answered what it does not promise, or the datasource's calls are paused (Retry-After)"},
	{plugin.UpstreamTimeout, "LinkedIn did not answer in time"},
}

func oaCodeNames(codes []struct {
	code plugin.Code
	when string
}) []string {
	var names []string
	for _, c := range codes {
		names = append(names, string(c.code))
	}
	return names
}

// errorComponents are the error answers by HTTP status, each saying which
// codes it carries and when.
func oaErrorResponses() map[string]any {
	byStatus := map[int][]string{}
	for _, c := range oaCodes {
		s := c.code.HTTPStatus()
		byStatus[s] = append(byStatus[s], fmt.Sprintf("%s: %s", c.code, c.when))
	}
	out := map[string]any{}
	for status, whens := range byStatus {
		r := map[string]any{"description": strings.Join(whens, "; "), "content": oaJSON(oaRef("ErrorEnvelope")),
			"headers": map[string]any{"X-Request-Id": map[string]any{"$ref": "#/components/headers/X-Request-Id"}}}
		if status == http.StatusTooManyRequests || status == http.StatusBadGateway {
			r["headers"].(map[string]any)["Retry-After"] = map[string]any{"$ref": "#/components/headers/Retry-After"}
		}
		out[fmt.Sprintf("Error%d", status)] = r
	}
	return out
}

// errorResponses refer to the error answers of codes, and to the envelope
// for any other.
func oaErrors(codes []plugin.Code) map[string]any {
	out := map[string]any{"default": map[string]any{"description": "Any other error, in the envelope's shape", "content": oaJSON(oaRef("ErrorEnvelope"))}}
	for _, c := range codes {
		s := c.HTTPStatus()
		out[fmt.Sprint(s)] = map[string]any{"$ref": fmt.Sprintf("#/components/responses/Error%d", s)}
	}
	return out
}

// executeContent is every body an execute takes (bodyKind): JSON under
// three types, a file under its own, or a multipart form.
func oaExecuteBodies() map[string]any {
	content := oaJSON(oaRef("ExecuteRequest"))
	jsonText := map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": "application/json", "contentSchema": oaRef("ExecuteRequest"),
		"description": "The same JSON as application/json."}}
	for _, t := range jsonTypes {
		if t != "application/json" {
			content[t] = jsonText
		}
	}
	for _, t := range oaFileTypes {
		content[t] = map[string]any{"schema": map[string]any{"description": "The file, streamed to LinkedIn; the command and its params are in the query."}}
	}
	content["multipart/form-data"] = map[string]any{"schema": map[string]any{
		"type": "object", "required": []string{"file"},
		"description":          "The params as fields, then the file part (named file, or any part with a filename); the command is in the query.",
		"properties":           map[string]any{"file": map[string]any{"type": "string", "contentMediaType": "application/octet-stream"}},
		"additionalProperties": map[string]any{"type": "string"},
	}}
	return content
}

// oaFileTypes are the media types isFileType takes as a file, as
// OpenAPI names them (multipart/form-data apart).
var oaFileTypes = []string{"image/*", "video/*", "application/pdf", "application/octet-stream",
	"application/msword", "application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

// formSchema is a form's JSON Schema for the document: its draft-07
// $schema dropped, since the forms use nothing the document's dialect
// (JSON Schema 2020-12) reads otherwise.
func oaForm(raw json.RawMessage) map[string]any {
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		panic("openapi: a form that the catalog compiled does not decode: " + err.Error())
	}
	delete(s, "$schema")
	return s
}

// normalizedExample is an example's params as the form takes them.
func oaExample(cmd *plugin.Command, params json.RawMessage) json.RawMessage {
	if cmd.Normalize != nil {
		if p, err := cmd.Normalize(params); err == nil {
			return p
		}
	}
	return params
}

func oaEnvelope(examples map[string]any) map[string]any {
	media := map[string]any{"schema": oaRef("Envelope")}
	if len(examples) > 0 {
		media["examples"] = examples
	}
	return map[string]any{"200": map[string]any{"description": "The envelope: LinkedIn's status, headers and output",
		"headers": map[string]any{
			"X-Request-Id":        map[string]any{"$ref": "#/components/headers/X-Request-Id"},
			"Idempotent-Replayed": map[string]any{"description": "true when the answer is the one stored for the Idempotency-Key", "schema": oaString("")},
		},
		"content": map[string]any{"application/json": media}}}
}

func oaOK(schema any) map[string]any {
	return map[string]any{"200": map[string]any{"description": "OK", "content": oaJSON(schema)}}
}

func oaJoin(list []any) string {
	var s []string
	for _, v := range list {
		s = append(s, fmt.Sprint(v))
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func oaString(description string) map[string]any {
	s := map[string]any{"type": "string"}
	if description != "" {
		s["description"] = description
	}
	return s
}

func oaArray(items any, description string) map[string]any {
	s := map[string]any{"type": "array", "items": items}
	if description != "" {
		s["description"] = description
	}
	return s
}

func oaStringMap(description string) map[string]any {
	s := map[string]any{"type": "object", "additionalProperties": oaString("")}
	if description != "" {
		s["description"] = description
	}
	return s
}

func oaRef(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func oaJSON(schema any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

func oaObject(required []string, props map[string]any) map[string]any {
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openAPIDoc)
}

// exampleEnvelope is the envelope an example's documented answer gets,
// with the rows the command makes of it.
func exampleEnvelope(cmd *plugin.Command, a *plugin.Answer, headers map[string]string) plugin.Envelope {
	env := plugin.Envelope{Status: a.Status, Headers: headers, Output: a.Output, Meta: plugin.Meta{Command: cmd.ID, DurationMs: 41}}
	if cmd.Rows != nil {
		env.Rows = cmd.Rows(a.Output)
	}
	return env
}
