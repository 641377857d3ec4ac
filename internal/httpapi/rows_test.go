package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"pluginserver/internal/catalog"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// TestRowsInTheEnvelope: a command that declares Rows gets them in its
// envelope beside LinkedIn's output, written after it on the wire; errors,
// dry runs, other commands and LinkedIn's refusals get none.
func TestRowsInTheEnvelope(t *testing.T) {
	c, err := catalog.New(linkedin.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Catalog: c, Log: zerolog.Nop()}
	answer := json.RawMessage(`{"firstDegreeSize":219145}`)
	envelope := func(command string, status int, dryRun bool, e *plugin.Error) *plugin.Envelope {
		return &plugin.Envelope{Status: status, Headers: map[string]string{}, Output: answer, Error: e, Meta: plugin.Meta{Command: command, DryRun: dryRun}}
	}

	env := envelope("getFollowerCount", 200, false, nil)
	s.addRows("linkedin", env)
	rep := replyOf(env).answer()
	var got struct {
		Output json.RawMessage
		Rows   []map[string]any
	}
	if err := json.Unmarshal(rep.Envelope, &got); err != nil {
		t.Fatalf("%v: %s", err, rep.Envelope)
	}
	if string(got.Output) != string(answer) || len(got.Rows) != 1 || got.Rows[0]["followers"] != 219145.0 {
		t.Errorf("envelope %s", rep.Envelope)
	}
	if i, j := strings.Index(string(rep.Envelope), `"output":`), strings.Index(string(rep.Envelope), `"rows":`); i < 0 || j < i {
		t.Errorf("rows not after output: %s", rep.Envelope)
	}

	for name, env := range map[string]*plugin.Envelope{
		"dry run":          envelope("getFollowerCount", 0, true, nil),
		"error":            envelope("getFollowerCount", 0, false, plugin.InvalidField("organization", "bad")),
		"LinkedIn refused": envelope("getFollowerCount", 403, false, &plugin.Error{Code: plugin.LinkedInRejected, Message: "no"}),
		"another command":  envelope("getPost", 200, false, nil),
		"unknown command":  envelope("nope", 200, false, nil),
	} {
		s.addRows("linkedin", env)
		if env.Rows != nil || strings.Contains(string(replyOf(env).answer().Envelope), `"rows"`) {
			t.Errorf("%s: rows %s", name, env.Rows)
		}
	}
}

// TestSeriesFromRows: rows become one chart series per numeric column,
// x the day or the breakdown's value, as Appsmith's Series data wants.
func TestSeriesFromRows(t *testing.T) {
	for _, tt := range []struct{ rows, want string }{
		{`[{"date":"2026-11-01","followerGains":12,"paidFollowerGain":0},{"date":"2026-11-02","followerGains":10,"paidFollowerGain":1}]`,
			`{"followerGains":[{"x":"2026-11-01","y":12},{"x":"2026-11-02","y":10}],"paidFollowerGain":[{"x":"2026-11-01","y":0},{"x":"2026-11-02","y":1}]}`},
		{`[{"facet":"seniority","value":"urn:li:seniority:3","organicFollowerCount":1200},{"facet":"geoCountry","value":"urn:li:geo:103644278","organicFollowerCount":900}]`,
			`{"geoCountry.organicFollowerCount":[{"x":"urn:li:geo:103644278","y":900}],"seniority.organicFollowerCount":[{"x":"urn:li:seniority:3","y":1200}]}`},
		{`[{"followers":219145}]`, ``},             // no x: a table, not a chart
		{`[{"date":"2026-11-01","note":"x"}]`, ``}, // no numbers
		{`not rows`, ``},
	} {
		if got := string(seriesOf(json.RawMessage(tt.rows))); got != tt.want {
			t.Errorf("series of %s:\n got %s\nwant %s", tt.rows, got, tt.want)
		}
	}
}
