package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"pluginserver/plugin"
)

// decodedSlowly is what decodeStrict makes of an execute's body, the
// reading commandAndParams must agree with wherever it answers.
func decodedSlowly(raw []byte) (command string, params json.RawMessage, err error) {
	var body struct {
		Command string          `json:"command"`
		Params  json.RawMessage `json:"params"`
	}
	err = decodeStrict(raw, &body, false)
	return body.Command, body.Params, err
}

var executeBodies = []struct {
	body string
	fast bool // commandAndParams reads it, rather than leaving it to decodeStrict
}{
	{`{"command":"getUserInfo","params":{}}`, true},
	{`{"command":"createPost","params":{"author":"person:1","text":"a \"quoted\" line\n, {not} [json]","visibility":"PUBLIC"}}`, true},
	{` { "params" : [1, {"a": [true, null]}] , "command" : "x" } `, true},
	{`{"command":"getUserInfo"}`, true},
	{`{"params":{"a":1}}`, true}, // "command is required", from either
	{`{"command":"x","params":null}`, true},
	{`{"command":"x","params":"text"}`, true},
	{`{"command":"x","params":12.5e3}`, true},
	{`{"command":"x","params":false}`, true},
	{`{}`, true},
	{`{"command":"x","params":{}} `, true},
	{"{\n\t\"command\": \"x\",\r\n\t\"params\": {}\n}", true},
	// Left to decodeStrict, for its errors or its reading.
	{`{"command":"x","params":{},"extra":1}`, false},
	{`{"Command":"x"}`, false},
	{`{"comm\u0061nd":"x"}`, false},
	{`{"command":"caf\u00e9"}`, false},
	{`{"command":1}`, false},
	{`{"command":null}`, false},
	{`{"command":"x","command":"y"}`, false},
	{`{"command":"x","params":{},"params":[]}`, false},
	{`[]`, false},
	{`"command"`, false},
	{`{"command":"x"`, false},
	{`{"command":"x"} {}`, false},
	{``, false},
	{`{"command":"x",}`, false},
}

// TestCommandAndParams: the one-pass reading of an execute's body gives
// what decoding it did, for every body it takes, and leaves the rest.
func TestCommandAndParams(t *testing.T) {
	for _, tc := range executeBodies {
		command, params, ok := commandAndParams([]byte(tc.body))
		if ok != tc.fast {
			t.Errorf("%s: read in one pass %v, want %v", tc.body, ok, tc.fast)
			continue
		}
		if ok {
			sameAsDecoding(t, []byte(tc.body), command, params)
		}
	}
}

func sameAsDecoding(t *testing.T, raw []byte, command string, params json.RawMessage) {
	t.Helper()
	want, wantParams, err := decodedSlowly(raw)
	if err != nil {
		t.Fatalf("%q: read in one pass, but decoding it fails: %v", raw, err)
	}
	if command != want || !bytes.Equal(params, wantParams) || (params == nil) != (wantParams == nil) {
		t.Fatalf("%q: one pass read command %q params %q, decoding %q %q", raw, command, params, want, wantParams)
	}
}

func FuzzCommandAndParams(f *testing.F) {
	for _, tc := range executeBodies {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if command, params, ok := commandAndParams(raw); ok {
			sameAsDecoding(t, raw, command, params)
		}
	})
}

// encoded is env as json.Encoder writes it, without HTML escaping: what
// appendHead and appendMeta must write around an output.
func encoded(t *testing.T, env plugin.Envelope) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&env); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func FuzzPlainEnvelope(f *testing.F) {
	f.Add(201, "x-restli-id", "urn:li:share:1", "createPost", "eaa9f8df1566263a", "o0tqQtzbMp766HOwlKAfnU", "", int64(3), false, false)
	f.Add(200, "content-type", "application/json", "getUserInfo", "", "", "hit", int64(0), true, true)
	f.Add(404, "location", "a\"b\\c\n\r\t\x00\x1f\u2028\u2029<>&\xff", "caf\u00e9 \xc3", "\x7f", "\U0001F600", "", int64(-1), false, true)
	f.Fuzz(func(t *testing.T, status int, key, value, command, requestID, linkedInID, cache string, ms int64, dryRun, coalesced bool) {
		env := plugin.Envelope{Status: status, Headers: map[string]string{key: value, "x-li-uuid": linkedInID, "": command},
			Output: json.RawMessage(`{"id":"urn:li:share:1"}`),
			Meta:   plugin.Meta{Command: command, DurationMs: ms, RequestID: requestID, LinkedInRequestID: linkedInID, DryRun: dryRun, Coalesced: coalesced, Cache: cache}}
		got := append(append(appendHead(nil, &env), env.Output...), appendMeta(nil, &env.Meta)...)
		if want := encoded(t, env); !bytes.Equal(got, want) {
			t.Fatalf("written\n%s\nencoded\n%s", got, want)
		}
		env.Headers = nil
		got = append(append(appendHead(nil, &env), env.Output...), appendMeta(nil, &env.Meta)...)
		if want := encoded(t, env); !bytes.Equal(got, want) {
			t.Fatalf("without headers, written\n%s\nencoded\n%s", got, want)
		}
	})
}
