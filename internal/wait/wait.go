// Package wait waits without outliving a context.
package wait

import (
	"context"
	"time"

	"pluginserver/internal/workers"
)

// Sleep waits d, or until ctx is done, whichever comes first, giving up
// ctx's CPU turn meanwhile.
func Sleep(ctx context.Context, d time.Duration) (err error) {
	t := time.NewTimer(d)
	defer t.Stop()
	workers.Outside(ctx, func() {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-t.C:
		}
	})
	return err
}
