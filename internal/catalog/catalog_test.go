package catalog_test

import (
	"encoding/json"
	"testing"

	"pluginserver/internal/catalog"
	"pluginserver/plugin"
	"pluginserver/plugin/linkedin"
)

// TestEveryFormCompiles is the start-up check: every datasource and command
// form compiles, and every example passes its own form.
func TestEveryFormCompiles(t *testing.T) {
	p := linkedin.Plugin()
	c, err := catalog.New(p)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := c.Datasource("linkedin")
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range p.Datasource.Examples {
		if problems := ds.Validate(ex.Params); problems != nil {
			t.Errorf("datasource example %q: %v", ex.Title, problems)
		}
	}
	for _, cmd := range p.Commands {
		_, v, err := c.Command("linkedin", cmd.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range cmd.Form.Examples {
			params := ex.Params
			if cmd.Normalize != nil {
				if params, err = cmd.Normalize(params); err != nil {
					t.Fatalf("%s example %q: %v", cmd.ID, ex.Title, err)
				}
			}
			if problems := v.Validate(params); problems != nil {
				t.Errorf("%s example %q: %v", cmd.ID, ex.Title, problems)
			}
		}
	}
}

func TestBrokenFormStopsStart(t *testing.T) {
	broken := &plugin.Plugin{ID: "broken", Datasource: plugin.Form{Schema: json.RawMessage(`{"type":"object"}`)},
		Commands: []*plugin.Command{{ID: "bad", Form: plugin.Form{Schema: json.RawMessage(`{"type":"nonsense"}`)}}}}
	if _, err := catalog.New(broken); err == nil {
		t.Fatal("a form with an unknown type compiled")
	}
}

func TestUnknownPluginAndCommand(t *testing.T) {
	c, _ := catalog.New(linkedin.Plugin())
	for _, err := range []error{
		func() error { _, err := c.Plugin("twitter"); return err }(),
		func() error { _, _, err := c.Command("linkedin", "tweet"); return err }(),
	} {
		if plugin.AsError(err).Code != plugin.NotFound {
			t.Errorf("err = %v, want not_found", err)
		}
	}
}
