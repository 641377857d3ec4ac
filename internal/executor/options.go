package executor

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	ps "pluginserver"
	"pluginserver/plugin"
)

// optionsFresh is how long a datasource's choices are kept: long enough
// that a form's dropdowns and the posts made from it cost one listing, short
// enough that a page role granted a minute ago shows.
const optionsFresh = time.Minute

// optionsKept bounds the cache: each entry is one datasource's choices of
// one source, a few hundred bytes.
const optionsKept = 10000

// optionCache keeps each datasource's choices per source, briefly.
type optionCache struct {
	mu      sync.Mutex
	entries map[optionKey]optionEntry
}

type optionKey struct{ datasource, source string }

type optionEntry struct {
	options []plugin.Option
	loaded  time.Time
}

// Options lists a field's choices for a datasource, from the source its
// command's form names, read with the datasource's token and kept briefly.
// A listing that could not be completed comes with what it has and the
// error.
func (e *Executor) Options(ctx context.Context, ds *ps.Datasource, command, field string) ([]plugin.Option, error) {
	p, err := e.Catalog.Plugin(ds.Plugin)
	if err != nil {
		return nil, err
	}
	cmd, _, err := e.Catalog.Command(ds.Plugin, command)
	if err != nil {
		return nil, err
	}
	src := cmd.Form.Options[field]
	if src == nil {
		return nil, plugin.Errorf(plugin.NotFound, "%s's field %s has no list of choices", command, field)
	}
	return e.loadOptions(ctx, p, ds, src)
}

func (e *Executor) loadOptions(ctx context.Context, p *plugin.Plugin, ds *ps.Datasource, src *plugin.Options) ([]plugin.Option, error) {
	key := optionKey{ds.ID, src.Name}
	now := e.now()
	c := &e.options
	c.mu.Lock()
	entry, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(entry.loaded) < optionsFresh {
		return entry.options, nil
	}
	if e.CallTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.CallTimeout)
		defer cancel()
	}
	if e.Breaker != nil {
		if err := e.Breaker.Allow(ds.ID); err != nil {
			return nil, err
		}
	}
	access, err := e.Tokens.AccessToken(ctx, ds)
	if err != nil {
		return nil, err
	}
	settings := e.settings(ctx, p, ds)
	send := func(ctx context.Context, call *plugin.Call) (*plugin.Response, error) {
		resp, err := e.sendVersioned(ctx, p, ds, OptionsCall, settings.Version, call, access.Token)
		e.record(ctx, ds, settings, call, nil, resp, err)
		return resp, err
	}
	options, err := src.Load(ctx, settings, send)
	if err != nil {
		// An incomplete listing is not kept: the next asks again.
		return options, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= optionsKept {
		// Dropping all is simpler than tracking age, and a dropped
		// entry costs one listing.
		c.entries = map[optionKey]optionEntry{}
	}
	c.entries[key] = optionEntry{options: options, loaded: now}
	c.mu.Unlock()
	return options, nil
}

// checkOptions refuses, before sending, a value that must be among its
// field's choices and is not (a page the member does not administer). When
// the choices cannot be listed, the service decides.
func (e *Executor) checkOptions(ctx context.Context, p *plugin.Plugin, ds *ps.Datasource, cmd *plugin.Command, params json.RawMessage) error {
	var values map[string]json.RawMessage
	for field, src := range cmd.Form.Options {
		if src.Restrict == nil {
			continue
		}
		if values == nil {
			if json.Unmarshal(params, &values) != nil {
				return nil
			}
		}
		var value string
		if json.Unmarshal(values[field], &value) != nil || value == "" {
			continue
		}
		canonical, restricted := src.Restrict(value)
		if !restricted {
			continue
		}
		options, err := e.loadOptions(ctx, p, ds, src)
		if err != nil {
			continue // the choices are not known: the service decides
		}
		listed := false
		for _, o := range options {
			listed = listed || o.Value == canonical
		}
		if !listed {
			return plugin.InvalidField(field, "%s is not among this datasource's choices (GET /v1/datasources/%s/options/%s/%s lists them): %s", value, ds.ID, cmd.ID, field, src.Unlisted)
		}
	}
	return nil
}
