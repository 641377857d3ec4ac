// Package pluginserver holds the domain types every part of the server
// shares: datasources, their tokens, callers and authorization states.
package pluginserver

import (
	"encoding/json"
	"time"
)

// Role is what an API key may do.
type Role string

const (
	RoleAdmin   Role = "admin"
	RoleBuilder Role = "builder"
)

// Caller is who made a request: a workspace and a role.
type Caller struct {
	Workspace string
	Role      Role
}

// Datasource is a configured connection to a plugin's service, owned by one
// workspace. Secrets are kept sealed; no field here is ever sent as it is.
type Datasource struct {
	ID        string
	Workspace string
	Plugin    string
	Name      string
	// Config is the non-secret configuration, as the datasource form says.
	Config json.RawMessage
	// ClientSecret is the datasource's own OAuth app secret, sealed.
	ClientSecret []byte
	Token        *Token
	// Problem is what went wrong with the token, when something did.
	Problem   AuthProblem
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Token is an OAuth grant, its secrets sealed.
type Token struct {
	Access           []byte
	Refresh          []byte
	ExpiresAt        time.Time
	RefreshExpiresAt time.Time
	Scopes           []string
	Member           *Member
	// Version grows with every change of the token; a refresh saves its
	// result only over the version it started from.
	Version int64
}

// AuthProblem records a token that stopped working.
type AuthProblem struct {
	// Status is StatusError (a refresh failed) or StatusExpired (LinkedIn
	// refused the token and it cannot be refreshed); "" when all is well.
	Status string
	Reason string
	// Failures counts refreshes failed in a row; RetryAt is when the next
	// may be tried.
	Failures int
	RetryAt  time.Time
}

// Member is who authorized a datasource, from LinkedIn's userinfo.
type Member struct {
	Sub   string `json:"sub"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// Auth statuses shown on a datasource.
const (
	StatusUnauthorized = "unauthorized"
	StatusAuthorized   = "authorized"
	StatusExpiring     = "expiring"
	StatusExpired      = "expired"
	StatusError        = "error"
)

// ExpiringWindow is how close to expiry a token without a refresh token is
// shown as expiring, so an admin has a week to authorize again.
const ExpiringWindow = 7 * 24 * time.Hour

// AuthStatus tells an admin whether the datasource can be used.
func (d *Datasource) AuthStatus(now time.Time) string {
	t := d.Token
	switch {
	case t == nil:
		return StatusUnauthorized
	case d.Problem.Status != "":
		return d.Problem.Status
	case t.Refreshable(now):
		return StatusAuthorized
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return StatusExpired
	case !t.ExpiresAt.IsZero() && t.ExpiresAt.Sub(now) < ExpiringWindow:
		return StatusExpiring
	}
	return StatusAuthorized
}

// Refreshable says whether a refresh token can renew the access token.
func (t *Token) Refreshable(now time.Time) bool {
	return t != nil && len(t.Refresh) > 0 && (t.RefreshExpiresAt.IsZero() || now.Before(t.RefreshExpiresAt))
}

// AuthState is a pending authorization: the state parameter sent to LinkedIn,
// bound to one datasource of one workspace. Only its hash is stored.
type AuthState struct {
	StateHash    string
	Workspace    string
	DatasourceID string
	ReturnURL    string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// Access is an opened access token and the version of the stored token it
// came from, so a refusal can be matched to the token that was refused.
type Access struct {
	Token   string
	Version int64
}

// IdempotentRequest is an execute remembered by its Idempotency-Key.
type IdempotentRequest struct {
	Workspace   string
	Key         string
	RequestHash string
	// State is "running" until the answer is kept, then "done".
	State     string
	Status    int
	Envelope  []byte
	CreatedAt time.Time
	// Deadline is when a request still running must have been interrupted.
	Deadline time.Time
}

// Fact is something one replica learnt that the others must act on at
// once, until it ends: a LinkedIn limit reached, a datasource's circuit
// opened. Origin names the replica that learnt it, so it does not apply
// its own fact twice.
type Fact struct {
	ID     int64
	Origin string
	Kind   string
	Key    string
	Value  string
	Until  time.Time
}
