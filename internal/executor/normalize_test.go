package executor_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	ps "pluginserver"
	"pluginserver/internal/catalog"
	"pluginserver/internal/executor"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// dryRun executes a request as a dry run, which sends nothing.
func dryRun(t *testing.T, command, params string) *plugin.Envelope {
	t.Helper()
	cat, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	api, _ := url.Parse("https://api.linkedin.com")
	e := &executor.Executor{Catalog: cat,
		Settings: func(*ps.Datasource) plugin.Settings { return plugin.Settings{APIURL: api, Version: "202610"} }}
	env, err := e.Execute(context.Background(), &ps.Datasource{ID: "ds1", Workspace: "acme", Plugin: "linkedin"},
		executor.Request{Command: command, Params: json.RawMessage(params), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestParamsAreNormalizedBeforeValidation: what a form declares one way
// and the API also takes another way (the Appsmith reference's media as a
// string holding JSON, a custom action's body as JSON itself, a video's
// size as a string) builds the same request as the form's own shape.
func TestParamsAreNormalizedBeforeValidation(t *testing.T) {
	const post = `"author":"person:1","lifecycleState":"PUBLISHED","text":"Hi","visibility":"PUBLIC","mediaCategory":"IMAGE"`
	for _, tc := range []struct{ command, other, form string }{
		{"createPostWithMedia", `{` + post + `,"media":"[{\"status\":\"READY\",\"media\":\"urn:li:digitalmediaAsset:C5\",\"title\":{\"text\":\"T\"}}]"}`,
			`{` + post + `,"media":[{"media":"urn:li:digitalmediaAsset:C5","title":"T"}]}`},
		{"customAction", `{"method":"POST","path":"/rest/posts","body":{"commentary":"Hi"}}`,
			`{"method":"POST","path":"/rest/posts","body":"{\"commentary\":\"Hi\"}"}`},
	} {
		a, b := dryRun(t, tc.command, tc.other), dryRun(t, tc.command, tc.form)
		if a.Error != nil || b.Error != nil {
			t.Fatalf("%s refused: %v / %v", tc.command, a.Error, b.Error)
		}
		if string(a.Output) != string(b.Output) {
			t.Errorf("%s:\n%s\nwant the form's\n%s", tc.command, a.Output, b.Output)
		}
	}
	env := dryRun(t, "uploadVideo", `{"author":"person:1","fileSizeBytes":"52428800","data":"aGk="}`)
	if env.Error != nil || !strings.Contains(string(env.Output), `"fileSizeBytes":52428800`) {
		t.Errorf("a video's size as a string: %s %v", env.Output, env.Error)
	}
	env = dryRun(t, "createPostWithMedia", `{`+post+`,"media":"[{not json"}`)
	if env.Error == nil || env.Error.Code != plugin.InvalidInput || env.Error.Fields[0].Field != "media" {
		t.Errorf("media string that is not JSON: %+v", env.Error)
	}
	// A document over the shape limits is refused by them, not read.
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	env = dryRun(t, "customAction", `{"method":"POST","path":"/v2/x","body":`+deep+`}`)
	if env.Error == nil || !strings.Contains(env.Error.Message, "deeper") {
		t.Errorf("a deep body: %+v", env.Error)
	}
}
