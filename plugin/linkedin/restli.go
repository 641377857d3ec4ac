package linkedin

import (
	"fmt"
	"strconv"
	"strings"
)

// Rest.li 2.0 encoding, in one place: every command that sends a
// structured value in a URL (a record, a List, a URN in a key or a query)
// writes it with these, so the syntax LinkedIn reads (parentheses, commas,
// colons, quotes) stays syntax and the values inside it are escaped. The
// rules are those of LinkedIn's own JavaScript client (lib/utils/encoder.ts
// of linkedin-developers/linkedin-api-js-client), and restli_test.go holds
// the strings its tests expect.

// Record is a Rest.li record, (name:value,...), its fields in the order
// they are written.
type Record []Field

// Field is one field of a Record.
type Field struct {
	Name  string
	Value any
}

// List is a Rest.li array, List(value,...).
type List []any

// RestliEncode writes a value as a URL (a path key or a query value)
// carries it: each string percent-encoded as JavaScript's
// encodeURIComponent does, with the Rest.li reserved characters , ( ) ' :
// escaped too. A value is a string, a bool, an integer or float, nil
// (null), a Record, a List or a []string.
func RestliEncode(v any) string {
	var b strings.Builder
	writeRestli(&b, v, false)
	return b.String()
}

// RestliReducedEncode writes a value as a body or header carries it: only
// the Rest.li reserved characters are escaped.
func RestliReducedEncode(v any) string {
	var b strings.Builder
	writeRestli(&b, v, true)
	return b.String()
}

// RestliQuery writes params as a query string, name=value&..., each name
// and value encoded as RestliEncode does: what goes in a URL's RawQuery
// as it is, never through url.Values, which would escape the syntax.
func RestliQuery(params Record) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		writePrimitive(&b, p.Name, false)
		b.WriteByte('=')
		writeRestli(&b, p.Value, false)
	}
	return b.String()
}

func writeRestli(b *strings.Builder, v any, reduced bool) {
	switch v := v.(type) {
	case Record:
		b.WriteByte('(')
		for i, f := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writePrimitive(b, f.Name, reduced)
			b.WriteByte(':')
			writeRestli(b, f.Value, reduced)
		}
		b.WriteByte(')')
	case List:
		b.WriteString("List(")
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeRestli(b, e, reduced)
		}
		b.WriteByte(')')
	case []string:
		l := make(List, len(v))
		for i, s := range v {
			l[i] = s
		}
		writeRestli(b, l, reduced)
	case string:
		writePrimitive(b, v, reduced)
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		writePrimitive(b, strconv.FormatFloat(v, 'f', -1, 64), reduced)
	default:
		writePrimitive(b, fmt.Sprint(v), reduced)
	}
}

// writePrimitive writes a string; the empty one is written as two single
// quotes, since it would otherwise vanish from the syntax.
func writePrimitive(b *strings.Builder, s string, reduced bool) {
	if s == "" {
		b.WriteString("''")
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ',' || c == '(' || c == ')' || c == '\'' || c == ':':
			fmt.Fprintf(b, "%%%02X", c)
		case reduced || unreservedJS(c):
			b.WriteByte(c)
		default:
			fmt.Fprintf(b, "%%%02X", c)
		}
	}
}

// unreservedJS are the bytes encodeURIComponent leaves as they are
// (A-Z a-z 0-9 - _ . ! ~ * ' ( )); the Rest.li reserved ones among them
// are escaped before this is asked.
func unreservedJS(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("-_.!~*'()", c) >= 0
}
