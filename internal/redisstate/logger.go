package redisstate

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"
)

// Logger routes go-redis's own messages (failed dials, pool trouble) into
// the service's zerolog logger instead of its default plain-text stderr
// output. Install it once at start-up with redis.SetLogger(NewLogger(log));
// go-redis keeps its logger process-wide.
type Logger struct {
	log zerolog.Logger
}

// NewLogger returns a Logger writing warnings to log.
func NewLogger(log zerolog.Logger) *Logger {
	return &Logger{log: log.With().Str("component", "redis").Logger()}
}

// Printf implements go-redis's logging interface. Its messages name
// addresses and failures, never passwords or stored values.
func (l *Logger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn().Msg(fmt.Sprintf(format, v...))
}
