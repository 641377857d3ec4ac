// Package catalog holds the plugins the server offers, with every form
// schema compiled once at start.
package catalog

import (
	"fmt"
	"strings"

	"pluginserver/plugin"
	"pluginserver/schema"
)

// Catalog is the set of plugins and their compiled forms.
type Catalog struct {
	plugins    []*plugin.Plugin
	validators map[string]*schema.Validator
}

// New compiles every datasource and command form; a form that does not
// compile stops the server from starting.
func New(plugins ...*plugin.Plugin) (*Catalog, error) {
	c := &Catalog{plugins: plugins, validators: map[string]*schema.Validator{}}
	for _, p := range plugins {
		v, err := schema.Compile(p.ID, p.Datasource.Schema)
		if err != nil {
			return nil, err
		}
		c.validators[key(p.ID, "")] = v
		for _, cmd := range p.Commands {
			v, err := schema.Compile(p.ID+"/"+cmd.ID, cmd.Form.Schema)
			if err != nil {
				return nil, err
			}
			c.validators[key(p.ID, cmd.ID)] = v
		}
	}
	return c, nil
}

func key(pluginID, commandID string) string { return pluginID + "/" + commandID }

// Plugins lists every plugin.
func (c *Catalog) Plugins() []*plugin.Plugin { return c.plugins }

// Plugin finds a plugin by id.
func (c *Catalog) Plugin(id string) (*plugin.Plugin, error) {
	for _, p := range c.plugins {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, plugin.Errorf(plugin.NotFound, "unknown plugin %q", id)
}

// Command finds a command and its compiled form.
func (c *Catalog) Command(pluginID, commandID string) (*plugin.Command, *schema.Validator, error) {
	p, err := c.Plugin(pluginID)
	if err != nil {
		return nil, nil, err
	}
	cmd, ok := p.Command(commandID)
	if !ok {
		if likely := closest(commandID, p.Commands); likely != "" {
			return nil, nil, plugin.Errorf(plugin.NotFound, "unknown command %q of plugin %s; did you mean %s?", commandID, pluginID, likely)
		}
		return nil, nil, plugin.Errorf(plugin.NotFound, "unknown command %q of plugin %s", commandID, pluginID)
	}
	return cmd, c.validators[key(pluginID, commandID)], nil
}

// Datasource is the compiled datasource form of a plugin.
func (c *Catalog) Datasource(pluginID string) (*schema.Validator, error) {
	if _, err := c.Plugin(pluginID); err != nil {
		return nil, err
	}
	v, ok := c.validators[key(pluginID, "")]
	if !ok {
		return nil, fmt.Errorf("no datasource form for %s", pluginID)
	}
	return v, nil
}

// closest is the command whose id is nearest to a mistyped one, by edits
// (case aside), when near enough to be what was meant: at most two edits,
// or a quarter of the id's length.
func closest(id string, commands []*plugin.Command) string {
	if len(id) > 64 {
		return ""
	}
	best, bestDistance := "", max(2, len(id)/4)+1
	for _, c := range commands {
		if d := edits(strings.ToLower(id), strings.ToLower(c.ID)); d < bestDistance {
			best, bestDistance = c.ID, d
		}
	}
	return best
}

// edits is the Levenshtein distance between a and b, in bytes.
func edits(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
