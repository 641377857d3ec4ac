// Package facts shares what one replica learns about LinkedIn with the
// others, so they act as one server: a daily limit reached, a datasource's
// circuit opened, a LinkedIn-wide outage (as a lease of a few seconds its
// replica renews, so a stored outage never outlives that replica's
// evidence: circuit.OutageLease). A fact goes to the store when it is learnt; every replica
// reads the new ones twice a second and applies those of the others. No
// execute waits on the store: each replica keeps what it learnt in memory.
package facts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	ps "pluginserver"
)

// Store keeps facts for every replica.
type Store interface {
	ShareFact(ctx context.Context, f ps.Fact) error
	FactsSince(ctx context.Context, after int64, now time.Time) ([]ps.Fact, error)
}

// Every is how often a replica reads the facts the others shared: a limit
// or a circuit learnt on one replica holds on the others within it.
const Every = 500 * time.Millisecond

// Sharer shares this replica's facts and applies the others'.
type Sharer struct {
	store  Store
	origin string
	now    func() time.Time
	// OnError hears a failure to read or share, which only delays what
	// the others learn.
	OnError func(err error)

	// pending are the facts learnt and not yet stored; a flood of 429s
	// costs at most this many waiting, the rest are dropped (the others
	// learn them from LinkedIn).
	pending chan ps.Fact

	mu      sync.Mutex
	applies map[string]func(f ps.Fact)
	last    int64
}

// pendingMax bounds the facts waiting to be stored.
const pendingMax = 256

// New makes a sharer for this replica, named at random.
func New(store Store, now func() time.Time) *Sharer {
	b := make([]byte, 8)
	rand.Read(b)
	return &Sharer{store: store, origin: hex.EncodeToString(b), now: now, applies: map[string]func(ps.Fact){},
		pending: make(chan ps.Fact, pendingMax)}
}

// Apply names what to do with a fact of a kind another replica shared.
func (s *Sharer) Apply(kind string, apply func(f ps.Fact)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applies[kind] = apply
}

// Share keeps a fact for the other replicas. The call that learnt it does
// not wait on the store: Run stores it.
func (s *Sharer) Share(kind, key, value string, until time.Time) {
	select {
	case s.pending <- ps.Fact{Origin: s.origin, Kind: kind, Key: key, Value: value, Until: until}:
	default:
	}
}

// Run stores this replica's facts and reads the others' until ctx ends;
// facts shared before it started and still holding apply at once.
func (s *Sharer) Run(ctx context.Context) {
	t := time.NewTicker(Every)
	defer t.Stop()
	s.Poll(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-s.pending:
			if err := s.store.ShareFact(ctx, f); err != nil && s.OnError != nil && ctx.Err() == nil {
				s.OnError(err)
			}
		case <-t.C:
			s.Poll(ctx)
		}
	}
}

// Poll applies the facts shared since the last poll. A fact whose insert
// committed after a later one was read is missed: facts are hints that
// spare the others a refusal or a failure LinkedIn would give them anyway.
func (s *Sharer) Poll(ctx context.Context) {
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	facts, err := s.store.FactsSince(ctx, last, s.now())
	if err != nil {
		if s.OnError != nil && ctx.Err() == nil {
			s.OnError(err)
		}
		return
	}
	for _, f := range facts {
		s.mu.Lock()
		s.last = max(s.last, f.ID)
		apply := s.applies[f.Kind]
		s.mu.Unlock()
		if f.Origin != s.origin && apply != nil {
			apply(f)
		}
	}
}
