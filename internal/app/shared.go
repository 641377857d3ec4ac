package app

import (
	"context"
	"time"

	ps "pluginserver"
	"pluginserver/internal/executor"
	"pluginserver/internal/facts"
)

// quotaShared is the executor's memory of LinkedIn's limits, told to every
// replica: a limit one learns from a 429, the others refuse before sending
// too.
type quotaShared struct {
	executor.Quota
	facts *facts.Sharer
}

func sharedQuota(q executor.Quota, f *facts.Sharer) executor.Quota {
	f.Apply("quota", func(fact ps.Fact) { q.Exhaust(context.Background(), fact.Key, fact.Until, fact.Value) })
	return quotaShared{Quota: q, facts: f}
}

func (q quotaShared) Exhaust(ctx context.Context, key string, until time.Time, reason string) {
	q.Quota.Exhaust(ctx, key, until, reason)
	q.facts.Share("quota", key, reason, until)
}
