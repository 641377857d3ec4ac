package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"pluginserver/internal/idempotency"
	"pluginserver/plugin"
)

// reply is an envelope as it goes on the wire, with its HTTP status: the
// envelope's JSON around its output, which is written between head and
// tail as LinkedIn (or the executor) gave it. A large output is thus held
// once, not copied into the envelope's encoding, and the readers of one
// shared read (coalesced, or from the read cache) all write the one copy.
type reply struct {
	status, retryAfter int
	replayed           bool
	head, output, tail []byte
}

// outputHole is how the envelope's output reads with no output: Envelope
// encodes it after status and headers, whose values are strings, so the
// first match is the field itself.
var outputHole = []byte(`"output":null`)

// replyOf encodes env, leaving its output out, with what it may echo of
// the caller's input cut (bounded).
func replyOf(env *plugin.Envelope) reply {
	rep := reply{status: http.StatusOK}
	if env.Error != nil {
		rep.status, rep.retryAfter = env.Error.Code.HTTPStatus(), env.Error.RetryAfter
		env.Error = bounded(env.Error)
	}
	env.Meta.Command = cutText(env.Meta.Command, maxEchoedField) // an unknown one is the caller's
	output := bytes.TrimSpace(env.Output)
	if plainEnvelope(env) && len(output) > 0 {
		// One buffer for both, the tail after the head.
		head := appendHead(make([]byte, 0, 320), env)
		rep.head, rep.output, rep.tail = head, output, appendMeta(head[len(head):], &env.Meta)
		return rep
	}
	e := *env
	e.Output = nil
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(&e)
	whole := b.Bytes()
	at := bytes.Index(whole, outputHole)
	if len(output) == 0 || at < 0 {
		rep.head = whole
		return rep
	}
	rep.head, rep.output, rep.tail = whole[:at+len(`"output":`)], output, whole[at+len(outputHole):]
	return rep
}

// plainEnvelope says env is LinkedIn's answer and nothing more (no error,
// rows, series or upload progress): nearly every envelope, which
// appendHead and appendMeta write as json.Encoder would, without its
// reflection and its sorting of the headers through it (a fortieth of
// createPost's CPU). FuzzPlainEnvelope holds them to the encoder.
func plainEnvelope(env *plugin.Envelope) bool {
	return env.Error == nil && env.Rows == nil && env.Series == nil && env.Meta.Progress == nil
}

// appendHead is a plain envelope up to its output: {"status":…,"headers":{…},"output":
func appendHead(b []byte, env *plugin.Envelope) []byte {
	b = append(b, `{"status":`...)
	b = strconv.AppendInt(b, int64(env.Status), 10)
	b = append(b, `,"headers":`...)
	if env.Headers == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '{')
		var kept [8]string // as many as usefulHeaders keeps
		keys := kept[:0]
		for k := range env.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, env.Headers[k])
		}
		b = append(b, '}')
	}
	return append(b, `,"output":`...)
}

// appendMeta is a plain envelope past its output: ,"meta":{…}} and the
// encoder's newline.
func appendMeta(b []byte, m *plugin.Meta) []byte {
	b = append(b, `,"meta":{`...)
	if m.Command != "" {
		b = appendJSONString(append(b, `"command":`...), m.Command)
		b = append(b, ',')
	}
	b = strconv.AppendInt(append(b, `"durationMs":`...), m.DurationMs, 10)
	if m.RequestID != "" {
		b = appendJSONString(append(b, `,"requestId":`...), m.RequestID)
	}
	if m.LinkedInRequestID != "" {
		b = appendJSONString(append(b, `,"linkedinRequestId":`...), m.LinkedInRequestID)
	}
	if m.DryRun {
		b = append(b, `,"dryRun":true`...)
	}
	if m.Coalesced {
		b = append(b, `,"coalesced":true`...)
	}
	if m.Cache != "" {
		b = appendJSONString(append(b, `,"cache":`...), m.Cache)
	}
	return append(b, "}}\n"...)
}

// appendJSONString appends s as encoding/json writes a string without
// HTML escaping: invalid UTF-8 as U+FFFD, and U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// addRows gives an envelope the rows its command makes of LinkedIn's
// answer (Command.Rows), for a table or chart to bind: only for an answer
// LinkedIn gave with success, never for an error or a dry run, whose
// output is something else.
func (s *Server) addRows(pluginID string, env *plugin.Envelope) {
	if env.Error != nil || env.Meta.DryRun || env.Status < 200 || env.Status > 299 || len(env.Output) == 0 || s.Catalog == nil {
		return
	}
	cmd, _, err := s.Catalog.Command(pluginID, env.Meta.Command)
	if err != nil || cmd.Rows == nil {
		return
	}
	env.Rows = cmd.Rows(env.Output)
	env.Series = seriesOf(env.Rows)
}

// seriesOf turns rows into chart series, one per numeric column, each
// point's x the row's date, or for a breakdown its value (the series then
// named facet.column, since each facet is a chart of its own). Rows with
// neither make no series.
func seriesOf(rows json.RawMessage) json.RawMessage {
	var decoded []map[string]any
	d := json.NewDecoder(bytes.NewReader(rows))
	d.UseNumber()
	if d.Decode(&decoded) != nil {
		return nil
	}
	type point struct {
		X string      `json:"x"`
		Y json.Number `json:"y"`
	}
	series := map[string][]point{}
	for _, row := range decoded {
		x, _ := row["date"].(string)
		prefix := ""
		if x == "" {
			x, _ = row["value"].(string)
			if facet, _ := row["facet"].(string); facet != "" {
				prefix = facet + "."
			}
		}
		if x == "" {
			continue
		}
		for column, v := range row {
			if y, ok := v.(json.Number); ok {
				series[prefix+column] = append(series[prefix+column], point{x, y})
			}
		}
	}
	if len(series) == 0 {
		return nil
	}
	out, err := json.Marshal(series)
	if err != nil {
		return nil
	}
	return out
}

// replyOfAnswer is an answer kept for an Idempotency-Key, as a reply.
func replyOfAnswer(a idempotency.Answer) reply {
	return reply{status: a.Status, retryAfter: a.RetryAfter, replayed: a.Replayed, head: a.Envelope}
}

// answer is the reply in one piece, as an Idempotency-Key keeps it.
func (rep reply) answer() idempotency.Answer {
	return idempotency.Answer{Status: rep.status, RetryAfter: rep.retryAfter, Replayed: rep.replayed,
		Envelope: bytes.Join([][]byte{rep.head, rep.output, rep.tail}, nil)}
}

func (rep reply) size() int { return len(rep.head) + len(rep.output) + len(rep.tail) }

// answer is an envelope as it goes on the wire, in one piece.
func answer(env *plugin.Envelope) idempotency.Answer { return replyOf(env).answer() }

// writeReply writes a reply within a deadline that ends a connection
// whose caller stopped reading: ten seconds, and one more for each MiB.
// What the reply holds of LinkedIn's answer counts against the caller's
// share of memory until then (the proxy takes it as the answer arrives,
// the execute gives it back when it ends).
func (s *Server) writeReply(w http.ResponseWriter, rep reply) {
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(writeTime(rep.size())))
	if rep.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(rep.retryAfter))
	}
	if rep.replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	for _, part := range [][]byte{rep.head, rep.output, rep.tail} {
		if len(part) == 0 {
			continue
		}
		if _, err := w.Write(part); err != nil {
			return
		}
	}
}

// writeTime is how long a reply of n bytes may take to write: a caller
// reading slower than a MiB a second past the first ten seconds is taken
// for one that stopped reading.
func writeTime(n int) time.Duration {
	return 10*time.Second + time.Duration(n>>20)*time.Second
}
