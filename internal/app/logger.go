package app

import (
	"io"
	stdlog "log"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// newLogger builds the one logger the service uses; everything else gets it
// (or a child of it) as an argument.
func newLogger(w io.Writer, level zerolog.Level, format string) zerolog.Logger {
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Str("service", "vaultgate").Logger()
}

// stdLogWriter carries net/http's own error lines (bad TLS handshakes,
// panics it recovered) into the structured log.
type stdLogWriter struct{ log zerolog.Logger }

func (w stdLogWriter) Write(p []byte) (int, error) {
	w.log.Warn().Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newStdLogger(log zerolog.Logger) *stdlog.Logger {
	return stdlog.New(stdLogWriter{log.With().Str("component", "net/http").Logger()}, "", 0)
}
