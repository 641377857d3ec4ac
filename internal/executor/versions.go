package executor

import (
	"context"
	"sync"
	"time"

	ps "pluginserver"
	"pluginserver/plugin"
)

// Learned keeps what the server learns about a service for every replica
// to read: the API version it accepts.
type Learned interface {
	Learned(ctx context.Context, key string) (string, error)
	SetLearned(ctx context.Context, key, value string) error
}

// versionReread is how long a replica trusts the version it read from the
// store before reading it again: a version is learnt once a month or so,
// and reading it on every execute would put a query on the hot path.
const versionReread = 10 * time.Second

// versionCache is the working version per plugin, as last read or learnt.
type versionCache struct {
	mu   sync.Mutex
	byID map[string]learntVersion
	// reading marks a plugin whose version one caller is reading again;
	// the others go on with the one they have, so a replica reads once
	// per interval, not once per caller in flight.
	reading map[string]bool
}

type learntVersion struct {
	version string
	read    time.Time
}

func versionKey(pluginID string) string { return pluginID + ".version" }

// settings are the datasource's settings with the scopes its member granted
// and the version its calls carry:
// the one its config pins, else the one learnt to work, else the plugin's
// current one.
func (e *Executor) settings(ctx context.Context, p *plugin.Plugin, ds *ps.Datasource) plugin.Settings {
	s := e.Settings(ds)
	s.Now = e.now()
	if ds.Token != nil && len(ds.Token.Scopes) > 0 {
		// The plugin refuses, before sending, a call they do not admit.
		s.Scopes = ds.Token.Scopes
	}
	if v := p.Versions; v != nil {
		s.Version = v.Pinned(ds.Config)
		if s.Version == "" {
			s.Version = e.VersionInUse(ctx, p)
		}
	}
	return s
}

// VersionInUse is the version calls carry when a datasource pins none.
func (e *Executor) VersionInUse(ctx context.Context, p *plugin.Plugin) string {
	if p.Versions == nil {
		return ""
	}
	now := e.now()
	c := &e.versions
	c.mu.Lock()
	learnt, ok := c.byID[p.ID]
	read := (!ok || now.Sub(learnt.read) > versionReread) && e.Learned != nil && !c.reading[p.ID]
	if read {
		if c.reading == nil {
			c.reading = map[string]bool{}
		}
		c.reading[p.ID] = true
	}
	c.mu.Unlock()
	if read {
		// A store that cannot answer leaves the version as it was.
		v, err := e.Learned.Learned(ctx, versionKey(p.ID))
		c.mu.Lock()
		delete(c.reading, p.ID)
		if err == nil {
			learnt = learntVersion{version: v, read: now}
			if c.byID == nil {
				c.byID = map[string]learntVersion{}
			}
			c.byID[p.ID] = learnt
		}
		c.mu.Unlock()
	}
	if learnt.version != "" {
		return learnt.version
	}
	return p.Versions.Current(now)
}

// learn remembers a version that worked after the one sent was retired,
// for every datasource and, through the store, every replica.
func (e *Executor) learn(ctx context.Context, p *plugin.Plugin, retired, version string) {
	c := &e.versions
	c.mu.Lock()
	if c.byID == nil {
		c.byID = map[string]learntVersion{}
	}
	known := c.byID[p.ID].version == version
	c.byID[p.ID] = learntVersion{version: version, read: e.now()}
	c.mu.Unlock()
	if known {
		return
	}
	var err error
	if e.Learned != nil {
		err = e.Learned.SetLearned(ctx, versionKey(p.ID), version)
	}
	if e.OnVersion != nil {
		e.OnVersion(p.ID, retired, version, err)
	}
}

// sendVersioned sends a call and, when the service answers that it retired
// the version the call carries, sends it again with older versions, newest
// first, until one is accepted. Only the version the server chose is
// stepped back from: not one the datasource pins, nor one the caller set on
// the call (a custom action's header). A streamed body cannot be sent
// twice, so its call is answered as it was.
func (e *Executor) sendVersioned(ctx context.Context, p *plugin.Plugin, ds *ps.Datasource, command, chosen string, c *plugin.Call, token string) (*plugin.Response, error) {
	resp, err := e.do(ctx, command, c, token)
	v := p.Versions
	if err != nil || v == nil || c.Stream != nil || !v.Retired(resp) || v.Pinned(ds.Config) != "" {
		return resp, err
	}
	retired := c.Header.Get(v.Header)
	if retired == "" || retired != chosen {
		return resp, err
	}
	// From the current version back, skipping the one refused: a learnt
	// version a year old is retired in its turn, and the current one may
	// work again.
	version := v.Current(e.now())
	for tries := 0; tries < v.MaxSteps && version != ""; version = v.Older(version) {
		if version == retired {
			continue
		}
		tries++
		again := *c
		again.Header = c.Header.Clone()
		again.Header.Set(v.Header, version)
		next, err := e.do(ctx, command, &again, token)
		if err != nil {
			return next, err
		}
		if !v.Retired(next) {
			e.learn(ctx, p, retired, version)
			return next, nil
		}
	}
	return resp, nil
}
