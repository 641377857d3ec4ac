package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"pluginserver/internal/app"
	"pluginserver/plugin/linkedin/sandbox"
)

// TestNoSecretLeaks runs every route and command, failures included, with
// logging at debug level, then searches the log and every answer of ours
// for each secret: API keys, client secrets, the secret key, the webhook
// secret, access and refresh tokens, authorization codes.
func TestNoSecretLeaks(t *testing.T) {
	const (
		secretKey     = "VGhpcyBpcyBhIDMyLWJ5dGUga2V5IGZvciB0ZXN0cyE="
		webhookSecret = "webhook-secret-0123456789"
		ownSecret     = sandbox.PartnerClientSecret
		rotatedSecret = "rotated-client-secret-0123"
		attackerKey   = "attacker-guess-0123456789"
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer hook.Close()
	h := startHarness(t, map[string]string{"PLUGIN_SERVER_SECRET_KEY": secretKey, "PLUGIN_SERVER_WEBHOOK_URL": hook.URL,
		"PLUGIN_SERVER_WEBHOOK_SECRET": webhookSecret, "PLUGIN_SERVER_RATE_BURST": "1000"}, app.Options{}, "--sandbox")

	var answers strings.Builder
	call := func(method, path, key, body string) map[string]any {
		req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(&answers, "%d %v %s\n", resp.StatusCode, resp.Header, raw)
		var out map[string]any
		json.Unmarshal(raw, &out)
		return out
	}
	authorize := func(id string) {
		auth := call("POST", "/v1/datasources/"+id+"/authorize", admin, `{}`)
		back, err := sandbox.Consent(h.srv.Client().Transport, auth["authorizationUrl"].(string), true)
		if err != nil {
			t.Fatal(err)
		}
		call("GET", strings.TrimPrefix(back.String(), h.srv.URL), "", "")
	}

	for _, path := range []string{"/healthz", "/readyz", "/openapi.json", "/v1/plugins", "/v1/plugins/linkedin", "/v1/plugins/linkedin/commands/uploadMedia", "/v1/nothing"} {
		call("GET", path, builder, "")
	}
	call("GET", "/v1/plugins", attackerKey, "")
	call("GET", "/v1/plugins", "", "")
	ds := call("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"Leaky","config":{"clientId":"`+sandbox.PartnerClientID+`","clientSecret":"`+ownSecret+`"}}`)
	id := ds["id"].(string)
	call("GET", "/v1/datasources", builder, "")
	call("POST", "/v1/datasources", admin, `{"plugin":"linkedin","name":"","config":{"clientSecret":"`+rotatedSecret+`","bogus":1}}`)
	authorize(id)
	call("GET", "/v1/datasources/"+id, builder, "")

	_, reg := h.do("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"registerMediaUpload","params":{"author":"person:782bbtaQ","mediaCategory":"image"}}`)
	uploadURL := reg["output"].(map[string]any)["value"].(map[string]any)["uploadMechanism"].(map[string]any)["com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest"].(map[string]any)["uploadUrl"].(string)
	asset := reg["output"].(map[string]any)["value"].(map[string]any)["asset"].(string)
	commands := []string{
		`{"command":"getUserInfo"}`,
		`{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"leak?","visibility":"PUBLIC"}}`,
		`{"command":"createPost","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"leak?","visibility":"PUBLIC"}}`,
		`{"command":"createPost","params":{"author":"person:1","lifecycleState":"PUBLISHED","text":"as someone else","visibility":"PUBLIC"}}`,
		`{"command":"registerMediaUpload","params":{"author":"person:782bbtaQ","mediaCategory":"video"}}`,
		`{"command":"uploadMedia","params":{"uploadUrl":"` + uploadURL + `","data":"aGVsbG8="}}`,
		`{"command":"getMediaUploadStatus","params":{"mediaCategory":"image","mediaId":"` + asset + `"}}`,
		`{"command":"createPostWithMedia","params":{"author":"person:782bbtaQ","lifecycleState":"PUBLISHED","text":"pic","visibility":"PUBLIC","mediaCategory":"IMAGE","media":[{"media":"` + asset + `"}]}}`,
		`{"command":"customAction","params":{"method":"GET","path":"/v2/userinfo","headers":{"X-Trace":"1"}}}`,
		`{"command":"customAction","params":{"method":"GET","path":"/v2/userinfo","headers":{"Authorization":"Bearer ` + attackerKey + `"}}}`,
		`{"command":"customAction","params":{"method":"POST","path":"/rest/posts","body":{"a":1},"headers":{"LinkedIn-Version":"201001"}}}`,
		`{"command":"createPost","params":{"author":"bob"}}`,
		`{"command":"nothing"}`,
		`{not json`,
	}
	for _, c := range commands {
		call("POST", "/v1/datasources/"+id+"/execute", builder, c)
		call("POST", "/v1/datasources/"+id+"/execute?dryRun=true", builder, c)
	}
	call("POST", "/v1/datasources/"+id+"/test", builder, "")

	// A 401 in the middle of use, renewed with the refresh token.
	h.app.Sandbox.InvalidateAccessTokens()
	call("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getUserInfo"}`)
	call("POST", "/v1/datasources/"+id+"/execute", builder, commands[1])
	// A new secret, and a refresh LinkedIn refuses.
	call("PATCH", "/v1/datasources/"+id, admin, `{"config":{"clientId":"`+sandbox.PartnerClientID+`","clientSecret":"`+rotatedSecret+`"}}`)
	h.app.Sandbox.InvalidateAccessTokens()
	call("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getUserInfo"}`)
	call("PATCH", "/v1/datasources/"+id, admin, `{"config":{"clientId":"`+sandbox.PartnerClientID+`","clientSecret":"`+ownSecret+`"}}`)
	authorize(id)
	h.app.Sandbox.RevokeAll()
	call("POST", "/v1/datasources/"+id+"/execute", builder, `{"command":"getUserInfo"}`)
	call("POST", "/v1/datasources/"+id+"/test", builder, "")
	// Callbacks that fail.
	call("GET", "/oauth/callback?state=x&code=y", "", "")
	call("GET", "/oauth/callback?error=access_denied", "", "")
	authorize(id)
	call("POST", "/v1/datasources/"+id+"/disconnect", admin, "")
	authorize(id)
	call("DELETE", "/v1/datasources/"+id, admin, "")

	// Gather what LinkedIn saw: every token and code handed out.
	secrets := map[string]string{"admin key": admin, "builder key": builder, "other key": other, "attacker's key": attackerKey,
		"secret key": secretKey, "webhook secret": webhookSecret, "own client secret": ownSecret, "rotated client secret": rotatedSecret,
		"server client secret": sandbox.ClientSecret}
	for i, r := range h.app.Sandbox.Requests() {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && tok != attackerKey {
			secrets[fmt.Sprintf("access token %d", i)] = tok
		}
		form, _ := url.ParseQuery(r.Body)
		for _, field := range []string{"refresh_token", "code", "token"} {
			if v := form.Get(field); v != "" && r.Path != "/oauth/v2/authorization" {
				secrets[fmt.Sprintf("%s %d", field, i)] = v
			}
		}
	}
	if len(secrets) < 15 {
		t.Fatalf("only %d secrets gathered: the scenario did not run", len(secrets))
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "refresh_failed") || !strings.Contains(logs, "datasource authorized") && !strings.Contains(logs, "authorized") {
		t.Fatalf("the scenario did not log what it should:\n%s", logs)
	}
	for name, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", name)
		}
		if strings.Contains(answers.String(), secret) {
			t.Errorf("an answer holds the %s", name)
		}
	}
}
