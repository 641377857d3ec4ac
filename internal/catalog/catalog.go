// Package catalog holds the plugins the server offers, with every form
// schema compiled once at start.
package catalog

import (
	"fmt"

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
