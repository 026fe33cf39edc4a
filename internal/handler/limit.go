package handler

import (
	"context"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/metrics"
)

// Rate limit scopes, the label of vaultgate_rate_limited_total.
const (
	scopeUser = "user"
	scopeIP   = "ip"
)

// checkLimit asks l (nil = no limit) whether key may make one more request.
// When the limiter's shared state fails, the request is let through: an
// outage of Redis must not become an outage of /connect.
func checkLimit(ctx context.Context, m *metrics.Metrics, l Limiter, scope, key string) error {
	if l == nil {
		return nil
	}
	d, err := l.Allow(ctx, key)
	if err != nil {
		m.RateLimitErrors.Inc()
		zerolog.Ctx(ctx).Error().Err(err).Str("scope", scope).Msg("rate limit check failed; request let through")
		return nil
	}
	if d.Allowed {
		return nil
	}
	m.RateLimited.WithLabelValues(scope).Inc()
	return &requestError{code: codeRateLimited, status: http.StatusTooManyRequests,
		detail: "Too many requests; try again later.", retryAfter: d.RetryAfter}
}
