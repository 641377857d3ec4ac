package schema

import (
	"github.com/xeipuuv/gojsonreference"
	"github.com/xeipuuv/gojsonschema"

	"pluginserver/internal/jsontext"
)

// document is a JSON document, already checked valid (checkShape), as
// gojsonschema reads one: decoded in one pass by jsontext.Value, into the
// values gojsonschema's own loader gets from a json.Decoder per document,
// half of validation's CPU at createPost's size.
type document []byte

func (d document) JsonSource() any { return []byte(d) }

func (d document) JsonReference() (gojsonreference.JsonReference, error) {
	return gojsonreference.NewJsonReference("#")
}

func (d document) LoaderFactory() gojsonschema.JSONLoaderFactory {
	return &gojsonschema.DefaultJSONLoaderFactory{}
}

func (d document) LoadJSON() (any, error) { return jsontext.Value(d) }
