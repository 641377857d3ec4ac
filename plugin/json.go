package plugin

import (
	"bytes"
	"encoding/json"
)

// MarshalPlain is v as JSON without HTML's escapes: an answer is JSON,
// never HTML, and a text of '<' would otherwise grow sixfold ("\u003c").
func MarshalPlain(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
