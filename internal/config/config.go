// Package config reads vaultgate's environment, validates all of it at once
// and turns it into the plain structs the other packages take.
package config

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Config is the validated configuration.
type Config struct {
	HTTPAddr  string // HTTP_ADDR
	AdminAddr string // ADMIN_ADDR

	Upstream upstream.Config
	Connect  handler.ConnectConfig

	AuthMode string // "jwt", "forward" or "header"
	JWT      auth.JWTConfig

	RateLimitPerMinute      int // 0 disables
	RateLimitPerIPPerMinute int // 0 disables

	RedisURL        string
	SessionReuseTTL time.Duration

	LogLevel        zerolog.Level
	LogFormat       string // "json" or "console"
	ShutdownTimeout time.Duration
}
