package plugin

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// JSONError is invalid input naming the field a JSON decoding error is
// about, under within ("" for the document itself), in words a builder
// reads: never the Go type it was decoded into.
func JSONError(within string, err error) *Error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	at := func(field string) string {
		switch {
		case within == "":
			return field
		case field == "":
			return within
		}
		return within + "." + field
	}
	whole := cmp.Or(within, "body")
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return InvalidField(at(typeErr.Field), "must be %s", kindInWords(typeErr.Type.Kind().String()))
	case errors.As(err, &typeErr):
		return InvalidField(whole, "must be %s", kindInWords(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr):
		return InvalidField(whole, "is not valid JSON (at byte %d)", syntaxErr.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return InvalidField(at(name), "is not a known field")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return InvalidField(whole, "is empty or cut short")
	}
	return InvalidField(whole, "is not valid JSON")
}

func kindInWords(kind string) string {
	switch kind {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	return "a JSON value of another kind"
}
