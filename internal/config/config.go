// Package config reads vaultgate's environment, validates all of it at once
// and turns it into the plain structs the other packages take.
package config

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/tracing"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Config is the validated configuration, built by Load or FromLookup.
type Config struct {
	HTTPAddr  string // HTTP_ADDR
	AdminAddr string // ADMIN_ADDR

	// APIKey is APIDECK_API_KEY. Upstream.APIKey stays empty: the key
	// is handed over in plain form only where the client is built.
	APIKey   Secret
	Upstream upstream.Config
	Connect  handler.ConnectConfig

	AuthMode string         // ModeJWT, ModeForward or ModeHeader; only that mode's struct below is filled
	JWT      auth.JWTConfig // HS256Secret stays empty, as Upstream.APIKey
	// HS256Secret is AUTH_HS256_SECRET (jwt mode with a shared secret).
	HS256Secret Secret
	Forward     auth.ForwardConfig
	Header      auth.HeaderConfig

	RateLimitPerMinute      int // 0 disables
	RateLimitPerIPPerMinute int // 0 disables

	RedisURL        string // REDIS_URL; may hold a password: log it only through LogSafe
	SessionReuseTTL time.Duration

	Tracing tracing.Options // Endpoint empty: off; ServiceVersion is not configuration

	LogLevel        zerolog.Level
	LogFormat       string // "json" or "console"
	ShutdownTimeout time.Duration
	AdminPprof      bool // ADMIN_PPROF
}
