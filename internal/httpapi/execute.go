package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"pluginserver/internal/executor"
	"pluginserver/internal/idempotency"
	"pluginserver/plugin"
)

// execute runs a command. JSON requests wait for one of the Workers; a
// file streams on its connection's goroutine, since it spends its time on
// the network rather than the CPU, and a long upload must not keep a
// worker from short calls.
func (s *Server) execute(w http.ResponseWriter, r *http.Request) {
	if s.Workers == nil || fileType(r) != "" {
		s.executeNow(w, r)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.CallTimeout)
	defer cancel()
	if err := s.Workers.Do(ctx, func() { s.executeNow(w, r) }); err != nil && r.Context().Err() == nil {
		s.writeError(w, r, &plugin.Error{Code: plugin.RateLimited, RetryAfter: 1,
			Message: "the server is running as many executes as it may at once (PLUGIN_SERVER_MAX_EXECUTES); try again shortly"})
	}
}

func (s *Server) executeNow(w http.ResponseWriter, r *http.Request) {
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := s.executeRequest(w, r, d.Plugin)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	dryRun := false
	switch r.URL.Query().Get("dryRun") {
	case "", "false", "0":
	case "true", "1":
		dryRun = true
	default:
		s.writeError(w, r, plugin.InvalidField("dryRun", "must be true or false"))
		return
	}
	req.DryRun, req.RequestID = dryRun, requestID(r.Context())
	run := func() (idempotency.Answer, bool) {
		env, err := s.Executor.Execute(r.Context(), d, req)
		if err != nil {
			s.Log.Error().Err(err).Str("requestId", req.RequestID).Str("command", req.Command).Msg("execute failed")
		}
		return answer(env), settled(env, req.DryRun)
	}
	keys := r.Header.Values("Idempotency-Key")
	if len(keys) == 0 || dryRun {
		a, _ := run()
		writeAnswer(w, a)
		return
	}
	if len(keys) > 1 {
		s.writeError(w, r, plugin.InvalidField("Idempotency-Key", "must be given once"))
		return
	}
	if err := idempotency.CheckKey(keys[0]); err != nil {
		s.writeError(w, r, err)
		return
	}
	lease := s.CallTimeout
	if cmd, _, err := s.Catalog.Command(d.Plugin, req.Command); err == nil && cmd.Upload {
		lease = s.UploadTimeout
	}
	// The refresh a call may wait on, and the store, take a little more.
	lease += 30 * time.Second
	a, err := s.Idempotency.Do(r.Context(), d.Workspace, keys[0], idempotency.Hash(d.ID, req.Command, req.Params), lease, run)
	if err != nil && a.Envelope == nil {
		s.writeError(w, r, err)
		return
	}
	if err != nil {
		s.Log.Error().Err(err).Str("requestId", req.RequestID).Msg("the answer could not be kept for its Idempotency-Key")
	}
	writeAnswer(w, a)
}

// executeRequest reads what to execute: {command, params} as JSON, or a
// file streamed as the body (raw, or multipart/form-data whose fields come
// before its file part) with the command and params in the query.
func (s *Server) executeRequest(w http.ResponseWriter, r *http.Request, pluginID string) (executor.Request, error) {
	mediaType := fileType(r)
	if mediaType == "" {
		return s.jsonRequest(w, r, pluginID)
	}
	q := r.URL.Query()
	req := executor.Request{Command: q.Get("command")}
	if req.Command == "" {
		return req, plugin.InvalidField("command", "is required in the query when the body is a file")
	}
	if cmd, _, err := s.Catalog.Command(pluginID, req.Command); err != nil || cmd.Stream == nil && cmd.Run == nil {
		return req, plugin.InvalidField("command", "%s does not take a file as the body; send JSON", req.Command)
	}
	params := map[string]string{}
	for k := range q {
		if k != "command" && k != "dryRun" {
			params[k] = q.Get(k)
		}
	}
	body := http.MaxBytesReader(w, r.Body, orDefault(s.MaxUpload, DefaultMaxUpload))
	req.File = &plugin.File{Body: body, Length: r.ContentLength, ContentType: r.Header.Get("Content-Type")}
	if mediaType == "multipart/form-data" {
		file, err := formFile(r, body, params)
		if err != nil {
			return req, err
		}
		req.File = file
	}
	req.Params, _ = json.Marshal(params)
	return req, nil
}

// fileType is the media type of a body that is a file, or "" for JSON.
func fileType(r *http.Request) string {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "application/json" {
		return ""
	}
	return mediaType
}

// formFile reads a multipart form's fields into params up to its file
// part, which it returns unread.
func formFile(r *http.Request, body io.ReadCloser, params map[string]string) (*plugin.File, error) {
	r.Body = body
	form, err := r.MultipartReader()
	if err != nil {
		return nil, plugin.InvalidField("body", "is not a multipart form: %v", err)
	}
	for {
		part, err := form.NextPart()
		if err == io.EOF {
			return nil, plugin.InvalidField("file", "the form has no file part")
		}
		if err != nil {
			return nil, plugin.InvalidField("body", "is not a well-formed multipart form")
		}
		if part.FileName() != "" || part.FormName() == "file" {
			return &plugin.File{Body: part, Length: -1, ContentType: part.Header.Get("Content-Type")}, nil
		}
		value, err := io.ReadAll(io.LimitReader(part, 64<<10))
		if err != nil {
			return nil, plugin.InvalidField(part.FormName(), "could not be read")
		}
		params[part.FormName()] = string(value)
	}
}

// jsonRequest reads {command, params}.
func (s *Server) jsonRequest(w http.ResponseWriter, r *http.Request, pluginID string) (executor.Request, error) {
	var body struct {
		Command string          `json:"command"`
		Params  json.RawMessage `json:"params"`
	}
	maxBody := orDefault(s.MaxBody, DefaultMaxBody)
	raw, err := s.readBody(w, r, max(maxBody, orDefault(s.MaxUpload, DefaultMaxUpload)))
	if err == nil {
		err = decodeStrict(raw, &body, false)
	}
	if err == nil && body.Command == "" {
		err = plugin.InvalidField("command", "is required")
	}
	if err == nil && int64(len(raw)) > maxBody {
		// Only a command that carries a file may use the upload limit.
		if cmd, _, lookup := s.Catalog.Command(pluginID, body.Command); lookup != nil || !cmd.Upload {
			err = tooLargeError(maxBody)
		}
	}
	return executor.Request{Command: body.Command, Params: body.Params}, err
}

// settled says whether an answer is final for its Idempotency-Key: LinkedIn
// answered for good, or may have acted on the request. An answer that
// proves LinkedIn did nothing (our own refusals, a 401, a 429) frees the
// key, so the same request can be sent again later.
func settled(env *plugin.Envelope, dryRun bool) bool {
	switch {
	case dryRun:
		return false
	case env.Status == http.StatusUnauthorized || env.Status == http.StatusTooManyRequests:
		return false
	case env.Status != 0:
		return true
	}
	return env.Error != nil && env.Error.MaybeSent
}

// testDatasource runs the plugin's health-check command.
func (s *Server) testDatasource(w http.ResponseWriter, r *http.Request) {
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.Catalog.Plugin(d.Plugin)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	env, err := s.Executor.Execute(r.Context(), d, executor.Request{Command: p.HealthCheck, RequestID: requestID(r.Context())})
	if err != nil {
		s.Log.Error().Err(err).Str("requestId", requestID(r.Context())).Msg("test failed")
	}
	result := map[string]any{"ok": env.Error == nil, "member": nil}
	if env.Error != nil {
		result["message"] = env.Error.Message
		result["code"] = env.Error.Code
	} else {
		var m struct {
			Name string `json:"name"`
			Sub  string `json:"sub"`
		}
		json.Unmarshal(env.Output, &m)
		result["message"] = fmt.Sprintf("Connected to %s as %s", p.Title, firstNonEmpty(m.Name, m.Sub))
		result["member"] = env.Output
	}
	writeJSON(w, http.StatusOK, result)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
