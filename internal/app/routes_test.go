package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A route asked with a method it does not answer says so (405, the Allow
// header, a stable code), and a mistyped command names the likely one.
func TestWrongMethodAndMistypedCommand(t *testing.T) {
	h := newHarness(t)
	id := h.authorizedDatasource()
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/v1/datasources/" + id + "/execute", "POST"},
		{"PUT", "/v1/datasources/" + id, "GET, PATCH, DELETE"},
		{"DELETE", "/v1/plugins", "GET"},
	} {
		req, _ := http.NewRequest(c.method, h.srv.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+builder)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Error struct{ Code, Message string }
		}
		json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != c.allow || env.Error.Code != "method_not_allowed" {
			t.Errorf("%s %s: %d, Allow %q, %+v; want 405, Allow %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), env.Error, c.allow)
		}
	}
	for typed, likely := range map[string]string{"getUserInf": "getUserInfo", "createpost": "createPost", "GetUserInfo": "getUserInfo", "deleteEverything": ""} {
		status, env := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"`+typed+`"}`)
		msg, _ := env["error"].(map[string]any)["message"].(string)
		if status != 404 || (likely != "" && !strings.HasSuffix(msg, "did you mean "+likely+"?")) || (likely == "" && strings.Contains(msg, "did you mean")) {
			t.Errorf("%s: %d %q, want it to suggest %q", typed, status, msg, likely)
		}
	}
}
