package linkedin

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"pluginserver/plugin"
	"pluginserver/plugin/linkedin/facts"
)

// What the analytics commands share: the page they read, the pages a
// member may read the statistics of, and the rows a table or chart binds.

// organizationField is a page whose statistics the member may read,
// listed by the options route for a dropdown.
var organizationField = field{name: "organization", required: true,
	schema: urnSchema("Page", "The page: organization:ID or its URN. LinkedIn shows a page's statistics to its administrators only.", "organization:2414183", "organization"),
	ui:     `{"ui:placeholder":"organization:2414183"}`, options: analyticsPages}

// analyticsPages lists the pages the member may read the statistics of:
// those on which they hold an APPROVED role among facts.AnalyticsRoles.
var analyticsPages = &plugin.Options{
	Name:      "analyticsPages",
	Endpoints: []string{"GET /rest/organizationAcls?q=roleAssignee", "GET /rest/organizations?ids"},
	Load: func(ctx context.Context, s plugin.Settings, send plugin.Send) ([]plugin.Option, error) {
		pages, err := rolePages(ctx, s, send, facts.AnalyticsRoles)
		var options []plugin.Option
		for _, p := range pages {
			options = append(options, plugin.Option{Value: p.URN, Label: p.Name + " (" + roleLabel(p.Role) + ")"})
		}
		return options, err
	},
	Restrict: func(value string) (string, bool) {
		urn, err := urnParam("organization", value, "organization")
		return urn, err == nil
	},
	Unlisted: "LinkedIn shows a page's statistics only to members who hold an APPROVED " + strings.Join(facts.AnalyticsRoles, " or ") + " role on it",
}

// organizationParam reads the organization param.
func organizationParam(value string) (string, error) {
	return urnParam("organization", value, "organization")
}

// row is one row of an envelope's rows: a flat object whose fields keep
// the order they were added in, the date or breakdown value first.
type row []Field

func (r row) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Name)
		v, err := marshalJSON(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// elementRows is a command's Rows over a LinkedIn collection: each of
// its elements flattened into rows.
func elementRows(each func(e object) []row) func(json.RawMessage) json.RawMessage {
	return func(output json.RawMessage) json.RawMessage {
		o := decodeObject(output)
		if o == nil {
			return nil
		}
		var rows []row
		for _, e := range elements(o) {
			rows = append(rows, each(e)...)
		}
		return rowsJSON(rows)
	}
}

// rowsJSON is the envelope's rows; never null, so a widget always gets an
// array.
func rowsJSON(rows []row) json.RawMessage {
	if rows == nil {
		rows = []row{}
	}
	out, err := marshalJSON(rows)
	if err != nil {
		return nil
	}
	return out
}

// object is a JSON object of LinkedIn's answer, its numbers kept as
// written.
type object = map[string]any

// decodeObject reads LinkedIn's answer; nil when it is not an object.
func decodeObject(raw []byte) object {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var o object
	if dec.Decode(&o) != nil {
		return nil
	}
	return o
}

// elements are an answer's elements.
func elements(o object) []object {
	list, _ := o["elements"].([]any)
	var out []object
	for _, e := range list {
		if m, ok := e.(object); ok {
			out = append(out, m)
		}
	}
	return out
}

// dateOf is the UTC day an epoch-millisecond time falls on.
func dateOf(v any) (string, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return "", false
	}
	ms, err := n.Int64()
	if err != nil {
		return "", false
	}
	return time.UnixMilli(ms).UTC().Format(time.DateOnly), true
}

// rangeDate is the first day of an element's timeRange, "" for none.
func rangeDate(e object) string {
	tr, _ := e["timeRange"].(object)
	d, _ := dateOf(tr["start"])
	return d
}

// metrics adds an object's scalar fields to a row, by name, in name
// order; nested objects are left out.
func metrics(r row, o object) row {
	names := make([]string, 0, len(o))
	for k := range o {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		switch o[k].(type) {
		case json.Number, string, bool:
			r = append(r, Field{k, o[k]})
		}
	}
	return r
}

// facetRows are one row per value of each breakdown ("followerCountsBy…",
// "pageStatisticsBy…") of an element: the facet, its value, and the
// counts found under counts (an object of scalars, or of objects whose
// one scalar each names the count).
func facetRows(e object, prefix, counts string, flatten func(object) row) []row {
	var names []string
	for k := range e {
		if strings.HasPrefix(k, prefix) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var rows []row
	for _, name := range names {
		list, _ := e[name].([]any)
		facet := strings.TrimPrefix(name, prefix)
		facet = strings.ToLower(facet[:1]) + facet[1:]
		for _, item := range list {
			m, ok := item.(object)
			if !ok {
				continue
			}
			r := row{{"facet", facet}}
			for k, v := range m {
				if s, ok := v.(string); ok && k != counts {
					r = append(r, Field{"value", s})
					break
				}
			}
			c, _ := m[counts].(object)
			rows = append(rows, append(r, flatten(c)...))
		}
	}
	return rows
}

// timeOf is an epoch-millisecond time as RFC 3339, in UTC.
func timeOf(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }
