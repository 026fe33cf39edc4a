package app

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/ratelimit"
	"github.com/vaultgate/vaultgate/internal/redisstate"
	"github.com/vaultgate/vaultgate/internal/sessions"
)

// reuseEntries bounds the in-memory session reuse cache.
const reuseEntries = 10_000

// sharedState is where rate limits and reusable sessions live: in this
// process, or in Redis when REDIS_URL is set so replicas share them.
type sharedState struct {
	redis *redis.Client // nil without REDIS_URL
	store sessions.Store
}

func newSharedState(cfg config.Config, log zerolog.Logger) (*sharedState, error) {
	if cfg.RedisURL == "" {
		return &sharedState{store: sessions.NewMemory(reuseEntries)}, nil
	}
	client, err := redisstate.NewClient(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	store, err := sessions.NewRedis(client, "vaultgate:reuse:", cfg.APIKey.Reveal())
	if err != nil {
		client.Close()
		return nil, err
	}
	log.Info().Msg("rate limits and session reuse are shared through Redis")
	return &sharedState{redis: client, store: store}, nil
}

// limiter returns a per-minute limiter for scope, or nil when perMinute is 0.
func (s *sharedState) limiter(ctx context.Context, scope string, perMinute int) handler.Limiter {
	if perMinute <= 0 {
		return nil
	}
	if s.redis != nil {
		return ratelimit.NewRedis(s.redis, "vaultgate:rl:"+scope+":", perMinute, time.Minute)
	}
	l := ratelimit.NewMemory(perMinute, time.Minute)
	go l.Run(ctx)
	return l
}

func (s *sharedState) close() {
	if s.redis != nil {
		_ = s.redis.Close()
	}
}
