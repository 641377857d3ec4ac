package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"pluginserver/internal/executor"
	"pluginserver/internal/idempotency"
	"pluginserver/plugin"
)

func (s *Server) execute(w http.ResponseWriter, r *http.Request) {
	d, err := s.datasource(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
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
		if cmd, _, lookup := s.Catalog.Command(d.Plugin, body.Command); lookup != nil || !cmd.Upload {
			err = tooLargeError(maxBody)
		}
	}
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
	req := executor.Request{Command: body.Command, Params: body.Params, DryRun: dryRun, RequestID: requestID(r.Context())}
	run := func() (idempotency.Answer, bool) {
		env, err := s.Executor.Execute(r.Context(), d, req)
		if err != nil {
			s.Log.Error().Err(err).Str("requestId", req.RequestID).Str("command", body.Command).Msg("execute failed")
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
	if cmd, _, err := s.Catalog.Command(d.Plugin, body.Command); err == nil && cmd.Upload {
		lease = s.UploadTimeout
	}
	// The refresh a call may wait on, and the store, take a little more.
	lease += 30 * time.Second
	a, err := s.Idempotency.Do(r.Context(), d.Workspace, keys[0], idempotency.Hash(d.ID, body.Command, body.Params), lease, run)
	if err != nil && a.Envelope == nil {
		s.writeError(w, r, err)
		return
	}
	if err != nil {
		s.Log.Error().Err(err).Str("requestId", req.RequestID).Msg("the answer could not be kept for its Idempotency-Key")
	}
	writeAnswer(w, a)
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
