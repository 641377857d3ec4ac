package executor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	ps "pluginserver"
	"pluginserver/internal/workers"
	"pluginserver/plugin"
)

// read carries out a Read command: from the datasource's read cache when
// its config keeps answers and one is fresh, or by one execution shared
// with the identical reads in flight on the datasource. Each caller gets
// the answer (status, headers, output) with its own meta.
func (e *Executor) read(ctx context.Context, p *plugin.Plugin, ds *ps.Datasource, cmd *plugin.Command, params json.RawMessage, settings plugin.Settings, call *plugin.Call, req Request, env *plugin.Envelope) error {
	var ttl time.Duration
	if p.ReadCache != nil && ds.Token != nil {
		if s := ds.AuthStatus(e.now()); s == ps.StatusAuthorized || s == ps.StatusExpiring {
			ttl = p.ReadCache(ds.Config)
		}
	}
	// One string holds the flight's key: the datasource (its workspace
	// and id), its generation, then the cache's key: the command and the
	// params as compact JSON.
	var b bytes.Buffer
	b.Grow(len(ds.Workspace) + len(ds.ID) + len(cmd.ID) + len(params) + 48)
	b.WriteString(ds.Workspace + "/" + ds.ID)
	ownerEnd := b.Len()
	b.WriteByte(0)
	writeGeneration(&b, ds)
	genEnd := b.Len()
	b.WriteByte(0)
	b.WriteString(cmd.ID)
	b.WriteByte(0)
	if json.Compact(&b, params) != nil {
		b.Write(params)
	}
	flight := b.String()
	owner, gen, key := flight[:ownerEnd], flight[ownerEnd+1:genEnd], flight[genEnd+1:]
	if ttl > 0 && !req.NoCache {
		if hit, age, ok := e.reads.get(owner, gen, key, ttl, e.now()); ok {
			env.Status, env.Headers, env.Output = hit.status, maps.Clone(hit.headers), hit.output
			env.Meta.Cache = "hit"
			if req.OnCacheHit != nil {
				req.OnCacheHit(age)
			}
			return nil
		}
	}
	// The shared call is no one caller's: it runs detached from every
	// caller's context, within the call's own timeout (send sets it).
	// Its goroutine computes without a turn, while its callers wait theirs
	// out (Outside).
	detached := workers.Without(context.WithoutCancel(ctx))
	read := func() (*plugin.Envelope, error) {
		var began uint64
		if ttl > 0 {
			began = e.reads.begin(owner, gen)
		}
		out := &plugin.Envelope{} // describe gives it LinkedIn's headers
		err := e.send(detached, p, ds, cmd, params, settings, call, &plugin.File{}, out)
		if ttl > 0 {
			e.reads.end(owner, gen, began, key, out, err == nil && out.Status >= 200 && out.Status < 300, e.now())
		}
		return out, err
	}
	var shared *plugin.Envelope
	var coalesced bool
	var err error
	workers.Outside(ctx, func() { shared, coalesced, err = e.flights.share(ctx, flight, read) })
	if shared != nil {
		env.Status, env.Output = shared.Status, shared.Output
		env.Meta.LinkedInRequestID, env.Meta.Coalesced = shared.Meta.LinkedInRequestID, coalesced
		if shared.Headers != nil {
			env.Headers = shared.Headers
		}
	}
	if coalesced {
		// Each caller's envelope gets headers and an error of its own.
		env.Headers = maps.Clone(env.Headers)
		var refused *plugin.Error
		if errors.As(err, &refused) {
			mine := *refused
			err = &mine
		}
	}
	return err
}

// wrote hears that a write on ds is being sent: the datasource's kept
// answers go, and no later read joins one already in flight.
func (e *Executor) wrote(ds *ps.Datasource) {
	owner := cacheOwnerOf(ds)
	e.reads.wrote(owner)
	e.flights.forget(owner + "\x00")
}

// cacheOwnerOf names a datasource's part of the cache and its flights,
// as read does.
func cacheOwnerOf(ds *ps.Datasource) string {
	return ds.Workspace + "/" + ds.ID
}

// flights lets identical reads in flight share one execution. It is our
// own few lines rather than golang.org/x/sync/singleflight: x/sync is only
// an indirect dependency here, and we need two things singleflight does not
// give as simply: a datasource's write must stop later reads from joining
// a read that began before it (forget), and a caller who stops waiting
// must leave the call running for the others.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// flight is one shared execution.
type flight struct {
	done chan struct{}
	// joined counts the callers that waited on it (mu guards it until
	// done is closed; it does not change after).
	joined int
	env    *plugin.Envelope
	err    error
}

// share runs call once for every caller of key while it is in flight, on
// a goroutine of its own: call must not depend on any one caller's
// context (the executor detaches it and gives it the call's own timeout).
// A caller whose ctx ends stops waiting and gets an error; the call goes
// on for the others until its own deadline. shared says more than one
// caller waited on the answer.
func (fs *flights) share(ctx context.Context, key string, call func() (*plugin.Envelope, error)) (env *plugin.Envelope, shared bool, err error) {
	fs.mu.Lock()
	f := fs.m[key]
	if f == nil {
		if fs.m == nil {
			fs.m = map[string]*flight{}
		}
		f = &flight{done: make(chan struct{})}
		fs.m[key] = f
		go fs.run(key, f, call)
	}
	f.joined++
	fs.mu.Unlock()
	select {
	case <-f.done:
		return f.env, f.joined > 1, f.err
	case <-ctx.Done():
		return nil, false, left(ctx)
	}
}

func (fs *flights) run(key string, f *flight, call func() (*plugin.Envelope, error)) {
	defer close(f.done)
	defer func() {
		// A panic here would take the whole server down: no handler's
		// recover sees this goroutine.
		if v := recover(); v != nil {
			f.env, f.err = nil, fmt.Errorf("shared read panicked: %v", v)
		}
		fs.mu.Lock()
		if fs.m[key] == f {
			delete(fs.m, key)
		}
		fs.mu.Unlock()
	}()
	f.env, f.err = call()
}

// forget makes the flights whose keys start with prefix unjoinable: their
// callers still get their answers, and a later caller starts a new call.
// A write forgets its datasource's reads, so a read asked after a write
// never gets an answer LinkedIn gave before it.
func (fs *flights) forget(prefix string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for k := range fs.m {
		if strings.HasPrefix(k, prefix) {
			delete(fs.m, k)
		}
	}
}

// left is what a caller who stopped waiting gets, as the proxy says it of
// a call of its own: a hang-up is still context.Canceled underneath, so
// no one counts it as LinkedIn's failure.
func left(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &plugin.Error{Code: plugin.UpstreamTimeout, Message: "LinkedIn did not answer in time", MaybeSent: true}
	}
	return errors.Join(&plugin.Error{Code: plugin.UpstreamUnavailable, Message: "the call was cancelled", MaybeSent: true}, ctx.Err())
}
