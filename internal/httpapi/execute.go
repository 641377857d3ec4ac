package httpapi

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	ps "pluginserver"
	"pluginserver/internal/executor"
	"pluginserver/internal/idempotency"
	"pluginserver/internal/jsontext"
	"pluginserver/internal/share"
	"pluginserver/internal/workers"
	"pluginserver/plugin"
)

// execute runs a command. A JSON body is read whole first, within its
// deadline and the caller's share of memory, and only then waits for one
// of the Workers, within the caller's share of them: a slow body holds its
// own connection and nothing else. A file streams on its connection's
// goroutine, since it spends its time on the network rather than the CPU,
// within the caller's share of Uploads.
func (s *Server) execute(w http.ResponseWriter, r *http.Request) {
	if info := infoOf(r.Context()); info != nil {
		info.execute = true
	}
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	mediaType, err := bodyKind(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	owners := bodyOwners(d.Workspace, d.ID)
	// LinkedIn's large answers count against the same share as bodies
	// until the answer is written (proxy's readAnswer).
	answers := s.BodyMemory.Account(owners...)
	defer answers.Close()
	if mediaType != "" {
		r = r.WithContext(share.WithAccount(r.Context(), answers))
		if err := s.take(r.Context(), s.Uploads, 1, "upload streams", owners); err != nil {
			s.writeError(w, r, err)
			return
		}
		defer s.Uploads.Release(1, owners...)
		// An upload may take as long as the call to LinkedIn may; a body
		// that trickles slower is cut off there, and what is left of a
		// body no one read is not waited for.
		body := &endSeen{ReadCloser: r.Body}
		r.Body = body
		defer readWithin(w, r, s.UploadTimeout, func() bool { return body.end })()
		req, err := s.fileRequest(w, r, d.Plugin, mediaType)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.run(w, r, d, req)
		return
	}
	held, err := s.readJSONBody(w, r, d.Plugin, owners)
	defer held.release()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.take(r.Context(), s.Executes, 1, "execute workers (PLUGIN_SERVER_MAX_EXECUTES)", owners); err != nil {
		s.writeError(w, r, err)
		return
	}
	defer s.Executes.Release(1, owners...)
	// The body is checked and decoded on the worker, not here: decoding
	// grows a stack that a thousand callers waiting their turn would
	// otherwise each keep (twice the stacks, at 1,000 callers).
	queued := time.Now()
	work := func() {
		// The execute computes in its workspace's turn, given up while
		// it waits (on LinkedIn, a shared read, an earlier request with
		// its Idempotency-Key) and once its answer is ready to write.
		onWorker := time.Since(queued)
		turn, err := s.Turns.Take(r.Context(), d.Workspace)
		defer turn.End()
		defer func() {
			if info := infoOf(r.Context()); info != nil {
				forTurns, outside := turn.Waited()
				info.queued, info.waited, info.turned = onWorker+forTurns, outside, true
			}
		}()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		// One copy of the request carries both the account and the turn.
		r := r.WithContext(workers.With(share.WithAccount(r.Context(), answers), turn))
		req, err := decodeExecute(held.raw)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.run(w, r, d, req)
	}
	if s.Workers == nil {
		work()
		return
	}
	// The executes holding a share are as many as the workers at most
	// (both are PLUGIN_SERVER_MAX_EXECUTES), so a worker takes this one
	// as soon as one finishes: the wait for a share above is the one with
	// a time limit. What is left is the caller hanging up, or the server
	// shutting down.
	if err := s.Workers.DoFor(r.Context(), d.Workspace, work); err != nil && !callerGone(r) {
		s.writeError(w, r, &plugin.Error{Code: plugin.RateLimited, RetryAfter: 1,
			Message: "the server is shutting down; try again shortly"})
	}
}

// run executes a request that was read, once per Idempotency-Key.
func (s *Server) run(w http.ResponseWriter, r *http.Request, d *ps.Datasource, req executor.Request) {
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
	// Cache-Control: no-cache skips the datasource's read cache (and
	// refreshes it); an answer from the cache says how old it is in Age.
	req.NoCache = noCache(r.Header)
	req.OnCacheHit = func(age time.Duration) { w.Header().Set("Age", strconv.Itoa(int(age/time.Second))) }
	info := infoOf(r.Context())
	if info != nil {
		info.command = req.Command
		if len(info.command) > maxLoggedCommand {
			info.command = info.command[:maxLoggedCommand]
		}
	}
	execute := func() *plugin.Envelope {
		turn := workers.From(r.Context())
		defer turn.Leave()
		if err := turn.Retake(r.Context()); err != nil {
			return &plugin.Envelope{Error: plugin.AsError(err)}
		}
		env, err := s.Executor.Execute(r.Context(), d, req)
		if err != nil && r.Context().Err() == nil {
			s.Log.Error().Err(err).Str("requestId", req.RequestID).Str("command", req.Command).Msg("execute failed")
		}
		s.addRows(d.Plugin, env)
		if info != nil {
			info.outcome = "ok"
			if env.Error != nil {
				info.outcome = string(env.Error.Code)
			}
		}
		return env
	}
	keys := r.Header.Values("Idempotency-Key")
	if len(keys) == 0 || dryRun {
		s.writeReply(w, replyOf(execute()))
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
	// The earlier request with the key is waited on outside the turn.
	workers.Leave(r.Context())
	run := func() (idempotency.Answer, bool) {
		env := execute()
		return answer(env), settled(env, req.DryRun)
	}
	a, err := s.Idempotency.Do(r.Context(), d.Workspace, keys[0], idempotency.Hash(d.ID, req.Command, req.Params), lease, run)
	if err != nil && a.Envelope == nil {
		s.writeError(w, r, err)
		return
	}
	if err != nil {
		s.Log.Error().Err(err).Str("requestId", req.RequestID).Msg("the answer could not be kept for its Idempotency-Key")
	}
	if a.Replayed {
		noteOutcome(r.Context(), replayedOutcome(a.Envelope))
	}
	s.writeReply(w, replyOfAnswer(a))
}

// replayedOutcome is the outcome of an answer kept for an Idempotency-Key:
// its envelope's error code, or "ok".
func replayedOutcome(envelope []byte) string {
	var env struct {
		Error *struct {
			Code plugin.Code `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(envelope, &env) != nil {
		return "error"
	}
	if env.Error != nil {
		return string(env.Error.Code)
	}
	return "ok"
}

// fileRequest reads what to execute with a file streamed as the body (raw,
// or multipart/form-data whose fields come before its file part): the
// command and params come in the query.
func (s *Server) fileRequest(w http.ResponseWriter, r *http.Request, pluginID, mediaType string) (executor.Request, error) {
	q := r.URL.Query()
	req := executor.Request{Command: q.Get("command")}
	if req.Command == "" {
		return req, plugin.InvalidField("command", "is required in the query when the body is a file (Content-Type %s); to send JSON, use application/json", mediaType)
	}
	cmd, _, err := s.Catalog.Command(pluginID, req.Command)
	if err != nil || !cmd.Upload || cmd.Stream == nil && cmd.Run == nil {
		return req, plugin.InvalidField("command", "%s does not take a file as the body; send JSON", req.Command)
	}
	if len(q["command"]) > 1 {
		return req, plugin.InvalidField("command", "is given twice in the query")
	}
	params := map[string]string{}
	for k := range q {
		if k == "command" || k == "dryRun" {
			continue
		}
		if len(q[k]) > 1 {
			return req, plugin.InvalidField(k, "is given twice in the query")
		}
		if problem := jsontext.String(k + q.Get(k)); problem != "" {
			return req, plugin.InvalidField(k, "%s", problem)
		}
		params[k] = q.Get(k)
	}
	maxStream := orDefault(s.MaxStream, DefaultMaxStream)
	if r.ContentLength > maxStream {
		// Refused before anything reaches LinkedIn, rather than cut off
		// half way through.
		return req, plugin.Errorf(plugin.PayloadTooLarge, "the file is %d bytes; this server takes files of up to %d bytes (PLUGIN_SERVER_MAX_STREAM)", r.ContentLength, maxStream)
	}
	body := http.MaxBytesReader(w, r.Body, maxStream)
	contentType := r.Header.Get("Content-Type")
	if !isFileType(mediaType) || mediaType == "multipart/form-data" {
		contentType = ""
	}
	req.File = &plugin.File{Body: body, Length: r.ContentLength, ContentType: contentType}
	if mediaType == "multipart/form-data" {
		file, err := formFile(r, body, params, orDefault(s.MaxBody, DefaultMaxBody))
		if err != nil {
			return req, err
		}
		req.File = file
	}
	typed, err := typedParams(cmd.Form.Schema, params)
	if err != nil {
		return req, err
	}
	req.Params, _ = json.Marshal(typed)
	return req, nil
}

// typedParams reads query and form fields, which are all text, as the
// types the command's form declares, so waitUntilAvailable=true is the
// boolean the form wants.
func typedParams(schema json.RawMessage, params map[string]string) (map[string]any, error) {
	var form struct {
		Properties map[string]struct {
			Type string `json:"type"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(schema, &form)
	typed := make(map[string]any, len(params))
	for k, v := range params {
		switch form.Properties[k].Type {
		case "boolean":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, plugin.InvalidField(k, "must be true or false")
			}
			typed[k] = b
		case "integer", "number":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, plugin.InvalidField(k, "must be a number")
			}
			typed[k] = n
		default:
			typed[k] = v
		}
	}
	return typed, nil
}

// formFile reads a multipart form's fields into params up to its file
// part, which it returns unread. The fields together may hold at most
// limit bytes.
func formFile(r *http.Request, body io.ReadCloser, params map[string]string, limit int64) (*plugin.File, error) {
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
		name := part.FormName()
		value, err := io.ReadAll(io.LimitReader(part, limit+1))
		switch {
		case err != nil:
			return nil, plugin.InvalidField(name, "could not be read")
		case int64(len(value)) > limit:
			return nil, plugin.InvalidField(name, "the form's fields hold more than %d bytes", limit)
		case params[name] != "":
			return nil, plugin.InvalidField(name, "is given twice")
		}
		if problem := jsontext.String(name + string(value)); problem != "" {
			return nil, plugin.InvalidField(name, "%s", problem)
		}
		limit -= int64(len(value))
		params[name] = string(value)
	}
}

// readJSONBody reads an execute's JSON body whole. The JSON limit applies while
// reading: a body over it goes on only for a command that carries a file,
// and only if it names that command before its params.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request, pluginID string, owners []string) (*heldBody, error) {
	maxBody := orDefault(s.MaxBody, DefaultMaxBody)
	maxUpload := max(maxBody, orDefault(s.MaxUpload, DefaultMaxUpload))
	return s.readHeld(w, r, owners, maxBody, func(prefix []byte) (int64, error) {
		command := leadingCommand(prefix)
		if cmd, _, err := s.Catalog.Command(pluginID, command); err != nil || !cmd.Upload {
			return 0, plugin.Errorf(plugin.PayloadTooLarge, "the request body is larger than %d bytes; only a command that carries a file may send more (up to %d bytes), naming \"command\" before \"params\", or better, streaming the file as the body", maxBody, maxUpload)
		}
		return maxUpload, nil
	})
}

// noCache says a request's Cache-Control asks for no-cache.
func noCache(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-cache") {
				return true
			}
		}
	}
	return false
}

// decodeExecute reads an execute's JSON body: {"command", "params"}.
func decodeExecute(raw []byte) (executor.Request, error) {
	if problem := jsontext.Check(raw); problem != nil {
		field, _ := strings.CutPrefix(problem.Field, "params.")
		return executor.Request{}, plugin.InvalidField(cmp.Or(field, "body"), "%s", problem.Message)
	}
	command, params, ok := commandAndParams(raw)
	if !ok {
		var body struct {
			Command string          `json:"command"`
			Params  json.RawMessage `json:"params"`
		}
		err := decodeStrict(raw, &body, false)
		if err != nil {
			return executor.Request{}, err
		}
		command, params = body.Command, body.Params
	}
	if command == "" {
		return executor.Request{}, plugin.InvalidField("command", "is required")
	}
	return executor.Request{Command: command, Params: params}, nil
}

// executeMembers are the members of an execute's JSON body.
var executeMembers = []string{"command", "params"}

// commandAndParams reads the body nearly every execute sends,
// {"command": "...", "params": ...} and nothing else, in one pass
// (jsontext.Members): decoding it into a struct was a twentieth of
// createPost's CPU. ok is false for anything else (another key, a key's
// case or escapes, a command that is not a plain string), which
// decodeStrict reads and words the errors of. params is raw's own bytes,
// as json.RawMessage would hold them.
func commandAndParams(raw []byte) (command string, params json.RawMessage, ok bool) {
	var values [2][]byte
	if !jsontext.Members(raw, executeMembers, values[:]) {
		return "", nil, false
	}
	if values[0] != nil {
		if command, ok = jsontext.PlainString(values[0]); !ok {
			return "", nil, false
		}
	}
	return command, values[1], true
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
	// A test asks LinkedIn itself, never the read cache.
	env, err := s.Executor.Execute(r.Context(), d, executor.Request{Command: p.HealthCheck, RequestID: requestID(r.Context()), NoCache: true})
	if callerGone(r) {
		return
	}
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
