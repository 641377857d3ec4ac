package jsontext

import (
	"encoding/json"
	"unicode/utf8"
)

// Members reads doc as a JSON object whose keys are all among names, each
// once at most and written without escapes: values[i] is the raw value of
// names[i] as doc holds it, nil when absent. It reports false, with values
// undefined, for anything else (text that is not JSON, another key, a key
// twice or escaped, a document other than an object), which a decoder
// should read instead. Most request bodies are this simple, and reading
// them so takes one pass after json.Valid's, where decoding into a struct
// takes two, a copy and reflection. values has len(names) elements.
func Members(doc []byte, names []string, values [][]byte) bool {
	if !json.Valid(doc) {
		return false
	}
	clear(values)
	i := skipSpace(doc, 0)
	if doc[i] != '{' {
		return false
	}
	for i = skipSpace(doc, i+1); doc[i] != '}'; i = skipSpace(doc, i) {
		if doc[i] == ',' {
			i = skipSpace(doc, i+1)
		}
		key, end, plain := plainStringAt(doc, i)
		if !plain {
			return false
		}
		n := 0
		for n < len(names) && string(key) != names[n] {
			n++
		}
		if n == len(names) || values[n] != nil {
			return false
		}
		start := skipSpace(doc, skipSpace(doc, end)+1) // past the colon
		i = valueEnd(doc, start)
		values[n] = doc[start:i:i]
	}
	return true
}

// PlainString is value, a JSON string written without escapes, as a
// decoder reads it; false for anything else (another kind of value, an
// escape, invalid UTF-8, which a decoder replaces).
func PlainString(value []byte) (string, bool) {
	s, end, plain := plainStringAt(value, 0)
	if !plain || end != len(value) || !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

// plainStringAt is the content of the string starting at doc[i] when it
// has no escape (plain), and where it ends.
func plainStringAt(doc []byte, i int) (s []byte, end int, plain bool) {
	if i >= len(doc) || doc[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			return nil, j, false
		case '"':
			return doc[i+1 : j], j + 1, true
		}
	}
	return nil, len(doc), false
}

// valueEnd is where the value starting at doc[i] ends, in a document
// json.Valid accepted.
func valueEnd(doc []byte, i int) int {
	depth := 0
	for ; i < len(doc); i++ {
		switch doc[i] {
		case '"':
			for i++; doc[i] != '"'; i++ {
				if doc[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the object holding a literal
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// Value decodes doc, a document json.Valid accepted, into what
// encoding/json decodes into an interface with UseNumber, in one pass,
// without the decoder's buffering and reflection: a json.Decoder per
// document was half of a createPost's validation. A string with an escape
// or invalid UTF-8 is left to encoding/json, whose way with them (U+FFFD
// for each bad byte, surrogate pairs) is the one to keep.
func Value(doc []byte) (any, error) {
	v, _, err := valueAt(doc, skipSpace(doc, 0))
	return v, err
}

// valueAt decodes the value starting at doc[i] and says where it ends.
func valueAt(doc []byte, i int) (any, int, error) {
	switch doc[i] {
	case '{':
		m := map[string]any{}
		for i = skipSpace(doc, i+1); doc[i] != '}'; i = skipSpace(doc, i) {
			if doc[i] == ',' {
				i = skipSpace(doc, i+1)
			}
			k, end, err := stringAt(doc, i)
			if err != nil {
				return nil, 0, err
			}
			v, end, err := valueAt(doc, skipSpace(doc, skipSpace(doc, end)+1)) // past the colon
			if err != nil {
				return nil, 0, err
			}
			m[k], i = v, end // a repeated name: the last wins, as in encoding/json
		}
		return m, i + 1, nil
	case '[':
		a := []any{}
		for i = skipSpace(doc, i+1); doc[i] != ']'; i = skipSpace(doc, i) {
			if doc[i] == ',' {
				i = skipSpace(doc, i+1)
			}
			v, end, err := valueAt(doc, i)
			if err != nil {
				return nil, 0, err
			}
			a, i = append(a, v), end
		}
		return a, i + 1, nil
	case '"':
		return stringAt(doc, i)
	case 't':
		return true, i + len("true"), nil
	case 'f':
		return false, i + len("false"), nil
	case 'n':
		return nil, i + len("null"), nil
	}
	end := valueEnd(doc, i)
	return json.Number(doc[i:end]), end, nil
}

// stringAt decodes the string starting at doc[i] and says where it ends.
func stringAt(doc []byte, i int) (string, int, error) {
	end := valueEnd(doc, i)
	if s, ok := PlainString(doc[i:end]); ok {
		return s, end, nil
	}
	var s string
	err := json.Unmarshal(doc[i:end], &s)
	return s, end, err
}
