package linkedin_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pluginserver/plugin/linkedin"
	"pluginserver/plugin/linkedin/facts"
)

// The generated part of docs/linkedin-app.md: which app a builder needs,
// and what each command needs, rendered from the table of facts.
const (
	factsBegin = "<!-- facts: generated from plugin/linkedin/facts by `go test ./plugin/linkedin -update`; do not edit below -->"
	factsEnd   = "<!-- facts: end -->"
)

func TestLinkedInAppDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "linkedin-app.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := bytes.Index(doc, []byte(factsBegin)), bytes.Index(doc, []byte(factsEnd))
	if begin < 0 || end < begin {
		t.Fatalf("docs/linkedin-app.md lacks the markers %q and %q", factsBegin, factsEnd)
	}
	got := slices.Concat(doc[:begin], []byte(factsBegin+"\n\n"), renderFacts(), doc[end:])
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, doc) {
		t.Fatal("docs/linkedin-app.md is stale: run go test ./plugin/linkedin -update")
	}
}

func renderFacts() []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	code := func(list []string) string {
		if len(list) == 0 {
			return "none"
		}
		return "`" + strings.Join(list, "` or `") + "`"
	}
	w("### Which LinkedIn app do I need?\n\n")
	w("| kind of app | scopes it can be granted | a datasource asks by default | LinkedIn's page |\n|---|---|---|---|\n")
	for _, k := range facts.AppKinds {
		w("| %s: %s | `%s` | `%s` | [%s](%s) |\n", k.Title, k.Description, strings.Join(k.Scopes, "`, `"), strings.Join(k.Default, " "), k.ID, k.Source)
	}
	w("\n### What each command needs\n\n")
	w("A call is admitted by any one of the permissions listed for it; the server checks, before sending, the one its params need (the member's or a page's) against what the member granted.\n\n")
	w("| command | endpoint | Rest.li | as the member | as a page | product | access |\n|---|---|---|---|---|---|---|\n")
	type row struct {
		what string
		keys []string
	}
	var rows, options []row
	sources := map[string]bool{}
	for _, c := range linkedin.Plugin().Commands {
		rows = append(rows, row{c.ID, c.Endpoints})
		for _, o := range c.Form.Options {
			if !sources[o.Name] {
				sources[o.Name] = true
				options = append(options, row{"the `" + o.Name + "` options (a field's dropdown)", o.Endpoints})
			}
		}
	}
	rows = append(rows, options...)
	for _, r := range rows {
		if len(r.keys) == 0 {
			w("| %s | any route (LinkedIn decides) | | | | | |\n", r.what)
		}
		for _, key := range r.keys {
			e := facts.ByKey(key)
			var products, access []string
			for _, scope := range e.Any() {
				p, _ := facts.Lookup(scope)
				if !slices.Contains(products, p.Product) {
					products = append(products, p.Product)
				}
				if !slices.Contains(access, string(p.Access)) {
					access = append(access, string(p.Access))
				}
			}
			page := "n/a"
			if e.Page != nil {
				page = code(e.Page)
			}
			w("| %s | [`%s`](%s) | %s | %s | %s | %s | %s |\n", r.what, key, e.Source, e.Restli, code(e.Member), page, strings.Join(products, ", "), strings.Join(access, ", "))
		}
	}
	w("\n### Permissions\n\n| scope | lets the app | product | access | LinkedIn's page |\n|---|---|---|---|---|\n")
	for _, p := range facts.Permissions {
		w("| `%s` | %s | %s | %s | [docs](%s) |\n", p.Scope, p.Grants, p.Product, p.Access, p.Source)
	}
	w("\n### Text as LinkedIn reads it\n\n| endpoint | field | format |\n|---|---|---|\n")
	for _, e := range facts.Endpoints {
		fields := make([]string, 0, len(e.Text))
		for f := range e.Text {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			w("| `%s` | `%s` | %s |\n", e.Key(), f, e.Text[f])
		}
	}
	w("\n")
	return b.Bytes()
}
