// Package app wires vaultgate together: configuration, logger, handlers,
// listeners and the lifecycle from start-up to a drained shutdown.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"maps"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/config"
	"github.com/vaultgate/vaultgate/internal/state"
)

// Version and Commit identify the build. -ldflags "-X …/internal/app.Version=…"
// stamps them, which works only on package-level variables set by a literal.
var (
	Version = "dev"
	Commit  = "unknown"
)

// Run is the whole program. environ is the environment in os.Environ's
// form and args excludes the program name; Run reads nothing else of the
// process, so tests and demo mode run side by side.
func Run(ctx context.Context, environ, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "healthcheck" {
		if len(args) > 1 {
			return fmt.Errorf("healthcheck takes no arguments, got %q (try -h)", args[1])
		}
		if err := healthcheck(ctx, environ); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "ok")
		return nil
	}
	fs := flag.NewFlagSet("vaultgate", flag.ContinueOnError)
	// Parse errors are returned, not printed; -h prints the usage to stdout.
	fs.SetOutput(io.Discard)
	demo := fs.Bool("demo", false, "serve a self-contained demo: simulated Apideck, demo sign-in, no variables needed")
	check := fs.Bool("check", false, "validate the configuration and exit (with -demo: the demo's)")
	probeFlag := fs.Bool("probe", false, "with -check: also fetch the signing keys and make one read-only Apideck call")
	version := fs.Bool("version", false, "print the version and commit and exit")
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout, fs)
		return nil
	case err != nil:
		return fmt.Errorf("%w (try -h)", err)
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q (try -h)", fs.Arg(0))
	}
	if *version {
		fmt.Fprintf(stdout, "vaultgate %s (commit %s, %s)\n", Version, Commit, runtime.Version())
		return nil
	}
	if *demo {
		return runDemo(ctx, environ, stdout, stderr, *check)
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return configError(err)
	}
	if *probeFlag && !*check {
		return errors.New("-probe goes with -check (try -h)")
	}
	if *check {
		fmt.Fprintln(stdout, "configuration OK")
		if *probeFlag {
			return probe(ctx, cfg, stdout)
		}
		return nil
	}
	log := newLogger(stdout, cfg.LogLevel, cfg.LogFormat)
	// go-redis logs through a package-level logger: once per process.
	state.SetRedisLogger(log)
	return Serve(ctx, cfg, log, Options{})
}

// usage is -h's answer.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Usage:
  vaultgate [-check]         serve /connect, configured by environment variables (README: Configuration)
  vaultgate -check -probe    also fetch the signing keys and list a probe consumer's connections at Apideck (read-only)
  vaultgate -demo [-check]   serve a self-contained demo on HTTP_ADDR (default :8080)
  vaultgate healthcheck      GET the admin listener's /healthz (ADMIN_ADDR); prints ok, exits 1 otherwise
  vaultgate -version         print the version and commit

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// configError presents every configuration problem, one per line.
func configError(err error) error {
	return errors.New("invalid configuration:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  "))
}

// healthcheck probes the admin /healthz, for container health checks in
// images without a shell or curl.
func healthcheck(ctx context.Context, environ []string) error {
	addr, err := config.ListenAddr(environ, "ADMIN_ADDR")
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return errors.New("healthcheck: " + res.Status)
	}
	return nil
}

// newLogger builds the one logger, which everything else is given. The
// console format is coloured only on a terminal: escape codes would litter
// a file or a log collector.
func newLogger(w io.Writer, level zerolog.Level, format string) zerolog.Logger {
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !isTerminal(w)}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Str("service", "vaultgate").Logger()
}

// isTerminal reports whether w is a character device, as a terminal is.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// logListening writes the start-up line with the configuration's safe
// fields: one object in JSON, for log pipelines; on a console one line per
// section, fields as key=value, for a person reading.
func logListening(log zerolog.Logger, cfg config.Config, public, admin net.Addr) {
	ev := log.Info().Str("http_addr", public.String()).Str("admin_addr", admin.String()).Str("version", Version)
	safe := cfg.LogSafe()
	if cfg.LogFormat != "console" {
		ev.Interface("config", safe).Msg("vaultgate listening")
		return
	}
	ev.Msg("vaultgate listening")
	general := map[string]any{}
	for _, key := range slices.Sorted(maps.Keys(safe)) {
		if section, ok := safe[key].(map[string]any); ok {
			log.Info().Fields(section).Msg("config: " + key)
		} else {
			general[key] = safe[key]
		}
	}
	log.Info().Fields(general).Msg("config")
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
