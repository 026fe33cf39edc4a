// Package config reads vaultgate's environment, validates all of it at once
// and turns it into the plain structs the other packages take. Every
// default is written once, in Defaults.
package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/handler"
	"github.com/vaultgate/vaultgate/internal/tracing"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Config is the validated configuration. Secrets stay Secrets: the plain
// fields other packages take for them (Upstream.APIKey, JWT.HS256Secret)
// are filled only where the client and the verifier are built.
type Config struct {
	HTTPAddr, AdminAddr string
	HTTPMaxConnections  int // client connections open at once on HTTPAddr
	APIKey              Secret
	Upstream            upstream.Config
	Connect             handler.ConnectConfig

	AuthMode    string // ModeJWT, ModeForward or ModeHeader; only that mode's struct below is filled
	JWT         auth.JWTConfig
	HS256Secret Secret
	Forward     auth.ForwardConfig
	Header      auth.HeaderConfig

	RateLimitPerMinute      int    // 0 disables
	RateLimitPerIPPerMinute int    // 0 disables
	RedisURL                Secret // its userinfo may hold a password
	SessionReuseTTL         time.Duration
	Events                  Events
	Tracing                 tracing.Options // Endpoint empty: off; ServiceVersion is not configuration
	LogLevel                zerolog.Level
	LogFormat               string // "json" or "console"
	ShutdownTimeout         time.Duration
	AdminPprof              bool
	Cleartext               []string // variables naming a plain-http URL beyond loopback: a warning each
}

// Authentication modes (AUTH_MODE; DEMO_AUTH_MODE takes the first two).
const (
	ModeJWT     = "jwt"
	ModeForward = "forward"
	ModeHeader  = "header"
)

// Defaults is what every unset variable means; each authentication struct
// holds its mode's defaults. Demo mode starts from it.
func Defaults() Config {
	return Config{
		HTTPAddr: ":8080", AdminAddr: ":9090", HTTPMaxConnections: 4096,
		Upstream: upstream.Config{
			BaseURL: "https://unify.apideck.com", VaultOrigin: "https://vault.apideck.com",
			Timeout: 10 * time.Second, MaxRetries: 2, MaxConcurrency: 512,
			BreakerFailures: 5, BreakerCooldown: 5 * time.Second,
		},
		Connect: handler.ConnectConfig{
			Mapping:       auth.Mapping{IDClaim: "sub", AccountNameClaim: "org_name", UserNameClaim: "name", EmailClaim: "email", ImageClaim: "picture"},
			SessionLength: time.Hour, // Apideck's own default
		},
		AuthMode: ModeJWT,
		JWT:      auth.JWTConfig{ClockSkew: 30 * time.Second, RefreshInterval: 5 * time.Minute, UnknownKIDInterval: 30 * time.Second},
		Forward:  auth.ForwardConfig{Timeout: 3 * time.Second, MaxConcurrency: 64},
		Header:   auth.HeaderConfig{UserHeader: "X-Forwarded-User", EmailHeader: "X-Forwarded-Email", GroupsHeader: "X-Forwarded-Groups"},

		Events: Events{RelayTimeout: 10 * time.Second, MaxStreams: 1000},

		RateLimitPerMinute: 30, LogLevel: zerolog.InfoLevel, LogFormat: "json", ShutdownTimeout: 15 * time.Second,
	}
}

// Load reads environ, in os.Environ's form, and returns the validated
// configuration or an error listing every problem, one per line starting
// with the variable's name and never showing a secret.
func Load(environ []string) (Config, error) {
	c, _, err := load(environ, Defaults(), false)
	return c, err
}

// LoadDemo is Load for demo mode, which needs no variables: d stands for
// the defaults, and its API key, app id, base URL, Vault origin and
// authentication are used whatever environ says, so the demo never talks
// to a real Apideck account. DEMO_AUTH_MODE picks d.JWT or d.Forward.
func LoadDemo(environ []string, d Config) (Config, error) {
	c, _, err := load(environ, d, true)
	return c, err
}

// ListenAddr reads HTTP_ADDR or ADMIN_ADDR alone: the healthcheck probes
// even where the rest would not load, and demo mode binds HTTP_ADDR first.
func ListenAddr(environ []string, name string) (string, error) {
	d := Defaults()
	p := newParser(environ)
	addr, _, _ := p.listenAddr(name, map[string]string{"HTTP_ADDR": d.HTTPAddr, "ADMIN_ADDR": d.AdminAddr}[name])
	return addr, p.err()
}

// load returns the configuration and the names of the variables read.
func load(environ []string, d Config, demo bool) (Config, []string, error) {
	p := newParser(environ)
	u := d.Upstream
	u.Timeout = p.duration("APIDECK_TIMEOUT", u.Timeout, 0, true)
	u.MaxRetries = p.integer("APIDECK_MAX_RETRIES", u.MaxRetries, 0, 10)
	u.MaxConcurrency = p.integer("APIDECK_MAX_CONCURRENCY", u.MaxConcurrency, 1, 100000)
	// The breaker counts in uint32; 1<<20 is far beyond any useful value.
	u.BreakerFailures = p.integer("APIDECK_BREAKER_FAILURES", u.BreakerFailures, 1, 1<<20)
	u.BreakerCooldown = p.duration("APIDECK_BREAKER_COOLDOWN", u.BreakerCooldown, 0, true)
	c := Config{
		APIKey:                  d.APIKey,
		Upstream:                u,
		Connect:                 p.parseConnect(d.Connect),
		RateLimitPerMinute:      p.integer("RATE_LIMIT_PER_MINUTE", d.RateLimitPerMinute, 0, 0),
		RateLimitPerIPPerMinute: p.integer("RATE_LIMIT_PER_IP_PER_MINUTE", d.RateLimitPerIPPerMinute, 0, 0),
		RedisURL:                d.RedisURL,
		SessionReuseTTL:         p.duration("SESSION_REUSE_TTL", d.SessionReuseTTL, 0, false),
		Events:                  p.parseEvents(d.Events),
		Tracing:                 p.parseTracing(),
		LogFormat:               p.oneOf("LOG_FORMAT", d.LogFormat, "json", "console"),
		ShutdownTimeout:         p.duration("SHUTDOWN_TIMEOUT", d.ShutdownTimeout, 0, true),
		AdminPprof:              *p.boolean("ADMIN_PPROF", &d.AdminPprof),
	}
	if v := p.str("REDIS_URL", ""); v != "" {
		// As go-redis will read it. No message repeats it: it may hold a password.
		if o, err := redis.ParseURL(v); err != nil || o.DB < 0 {
			p.add("REDIS_URL", "must be redis://host[:port][/db], rediss://… or unix:///path.sock, with go-redis's query options only")
		}
		c.RedisURL = NewSecret(v)
	}
	// zerolog's names only: ParseLevel also takes undocumented numbers.
	c.LogLevel, _ = zerolog.ParseLevel(p.oneOf("LOG_LEVEL", d.LogLevel.String(), "trace", "debug", "info", "warn", "error", "fatal", "panic", "disabled"))
	var httpHost, adminHost string
	var httpPort, adminPort uint64
	c.HTTPAddr, httpHost, httpPort = p.listenAddr("HTTP_ADDR", d.HTTPAddr)
	c.AdminAddr, adminHost, adminPort = p.listenAddr("ADMIN_ADDR", d.AdminAddr)
	// Each open connection costs memory (buffers, a goroutine): idle
	// keep-alive floods must fit the container's limit.
	c.HTTPMaxConnections = p.integer("HTTP_MAX_CONNECTIONS", d.HTTPMaxConnections, 1, 1<<20)
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	if httpPort != 0 && httpPort == adminPort && (strings.EqualFold(httpHost, adminHost) || wildcard(httpHost) || wildcard(adminHost)) {
		// The admin listener serves metrics and pprof: it must stay apart.
		p.add("ADMIN_ADDR", "must differ from HTTP_ADDR (both are %s)", c.AdminAddr)
	}
	if demo {
		switch c.AuthMode = p.oneOf("DEMO_AUTH_MODE", ModeJWT, ModeJWT, ModeForward); c.AuthMode {
		case ModeJWT:
			c.JWT, c.HS256Secret = d.JWT, d.HS256Secret
		case ModeForward:
			c.Forward = d.Forward
		}
	} else {
		p.parseApideck(&c)
		p.parseAuth(d, &c)
	}
	c.Connect.VaultOrigin = c.Upstream.VaultOrigin
	c.Connect.CallbackURL = strings.TrimRight(c.Upstream.BaseURL, "/") + "/vault/callback"
	// Anyone can put an unverified address in a token of their own.
	c.Connect.Mapping.VerifiedEmail = c.AuthMode == ModeJWT && c.Connect.Mapping.IDClaim == "email"
	p.checkUnknown()
	c.Cleartext = p.warnings
	if err := p.err(); err != nil {
		return Config{}, p.read, err
	}
	return c, p.read, nil
}

// listenAddr reads host:port with a numeric port (0 picks a free one); on
// a problem it returns def and port 0.
func (p *parser) listenAddr(name, def string) (addr, host string, port uint64) {
	v := p.str(name, def)
	host, portText, err := net.SplitHostPort(v)
	if err == nil {
		port, err = strconv.ParseUint(portText, 10, 16)
	}
	if err != nil {
		p.add(name, "%q is not host:port with a port from 0 to 65535 (e.g. :8080, 127.0.0.1:8080)", v)
		return def, "", 0
	}
	return v, host, port
}

// parseTracing reads the OTEL_* variables that decide whether and where
// spans go: tracing is on only when an OTLP endpoint is set, the SDK is not
// disabled and the exporter is not "none". When on, a setting this build
// cannot honour is a problem rather than silently dropped spans. No message
// repeats an endpoint: it may carry credentials.
func (p *parser) parseTracing() tracing.Options {
	const general, traces = "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	exporter := strings.ToLower(p.str("OTEL_TRACES_EXPORTER", ""))
	if strings.EqualFold(p.str("OTEL_SDK_DISABLED", ""), "true") || exporter == "none" || p.str(general, "")+p.str(traces, "") == "" {
		return tracing.Options{}
	}
	if exporter != "" && exporter != "otlp" {
		p.add("OTEL_TRACES_EXPORTER", "only otlp (or none) is supported")
	}
	var endpoint string
	// As in the exporter: the general endpoint is a base URL, the traces
	// one is used as it is and wins. Both are checked untrimmed, as the
	// exporter parses them, and logs verbatim one it cannot parse.
	for _, name := range []string{general, traces} {
		raw, _ := p.lookup(name)
		u, err := url.Parse(raw)
		switch {
		case raw == "":
		case err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			p.add(name, "must be an absolute http(s) URL")
		case name == general:
			endpoint = u.JoinPath("v1/traces").String()
		default:
			endpoint = raw
		}
	}
	protoName := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	if p.str(protoName, "") == "" {
		protoName = "OTEL_EXPORTER_OTLP_PROTOCOL"
	}
	switch p.str(protoName, "") {
	case "", "http/protobuf", "http/json":
	case "grpc":
		// A gRPC stack for one optional feature: OTLP over HTTP reaches
		// the same collectors.
		p.add(protoName, "grpc is not supported, use http/protobuf (collector port 4318)")
	default:
		p.add(protoName, "must be http/protobuf or http/json")
	}
	return tracing.Options{Endpoint: endpoint}
}
