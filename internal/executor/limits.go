package executor

import (
	"context"
	"fmt"
	"math"
	"time"

	ps "pluginserver"
	"pluginserver/plugin"
)

// Limiter rations calls per datasource.
type Limiter interface {
	Allow(key string) (bool, time.Duration)
}

// checkLimits runs before a call is sent: it refuses a call the limits say
// may not go now.
func (e *Executor) checkLimits(ctx context.Context, ds *ps.Datasource) error {
	if e.Limiter != nil {
		if ok, wait := e.Limiter.Allow(ds.ID); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			return &plugin.Error{Code: plugin.RateLimited, RetryAfter: secs,
				Message: fmt.Sprintf("datasource %s is over its rate limit; try again in %d s", ds.ID, secs)}
		}
	}
	return nil
}

// observeLimits hears every answer LinkedIn gave.
func (e *Executor) observeLimits(ds *ps.Datasource, resp *plugin.Response) {}
