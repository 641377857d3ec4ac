package schema

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/xeipuuv/gojsonreference"
	"github.com/xeipuuv/gojsonschema"
)

// document is a JSON document, already checked valid (checkShape), as
// gojsonschema reads one: the values encoding/json decodes into an
// interface with UseNumber. gojsonschema's own loader runs a json.Decoder
// per document, half of validation's CPU at createPost's size; one pass
// over valid JSON needs none of its buffering or reflection.
type document []byte

func (d document) JsonSource() any { return []byte(d) }

func (d document) JsonReference() (gojsonreference.JsonReference, error) {
	return gojsonreference.NewJsonReference("#")
}

func (d document) LoaderFactory() gojsonschema.JSONLoaderFactory {
	return &gojsonschema.DefaultJSONLoaderFactory{}
}

func (d document) LoadJSON() (any, error) {
	v, _, err := decodeValue(d, 0)
	return v, err
}

// decodeValue decodes the value at or after doc[i] and says where it ends.
// doc is valid JSON, nested no deeper than MaxDepth.
func decodeValue(doc []byte, i int) (any, int, error) {
	i = skipSpace(doc, i)
	switch doc[i] {
	case '{':
		m := map[string]any{}
		if i = skipSpace(doc, i+1); doc[i] == '}' {
			return m, i + 1, nil
		}
		for {
			k, end, err := decodeString(doc, i)
			if err != nil {
				return nil, 0, err
			}
			v, end, err := decodeValue(doc, skipSpace(doc, end)+1) // past ':'
			if err != nil {
				return nil, 0, err
			}
			m[k] = v // a repeated name: the last wins, as in encoding/json
			if i = skipSpace(doc, end); doc[i] == '}' {
				return m, i + 1, nil
			}
			i = skipSpace(doc, i+1) // past ','
		}
	case '[':
		a := []any{}
		if i = skipSpace(doc, i+1); doc[i] == ']' {
			return a, i + 1, nil
		}
		for {
			v, end, err := decodeValue(doc, i)
			if err != nil {
				return nil, 0, err
			}
			a = append(a, v)
			if i = skipSpace(doc, end); doc[i] == ']' {
				return a, i + 1, nil
			}
			i++ // past ','
		}
	case '"':
		return decodeString(doc, i)
	case 't':
		return true, i + len("true"), nil
	case 'f':
		return false, i + len("false"), nil
	case 'n':
		return nil, i + len("null"), nil
	}
	end := i
	for end < len(doc) && isNumberByte(doc[end]) {
		end++
	}
	return json.Number(doc[i:end]), end, nil
}

// decodeString decodes the string at doc[i]. A string with an escape or
// bytes that are not UTF-8 is left to encoding/json, whose way with them
// (U+FFFD for each bad byte, surrogate pairs) is the one to keep.
func decodeString(doc []byte, i int) (string, int, error) {
	plain := true
	end := i + 1
	for ; doc[end] != '"'; end++ {
		if doc[end] == '\\' {
			plain = false
			end++
		}
	}
	text := doc[i+1 : end]
	if plain && utf8.Valid(text) {
		return string(text), end + 1, nil
	}
	var s string
	err := json.Unmarshal(doc[i:end+1], &s)
	return s, end + 1, err
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i++
	}
	return i
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}
