package config

import (
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/tracing"
)

// Defaults of the service-level variables.
const (
	defaultHTTPAddr           = ":8080"
	defaultAdminAddr          = ":9090"
	defaultRateLimitPerMinute = 30
	defaultShutdownTimeout    = 15 * time.Second
)

// parse turns the raw environment into a Config, validating everything and
// collecting every problem. present lists the names of the variables set in
// the environment, for the check of the VAULT_SETTINGS_*/VAULT_THEME_*
// families. On error the Config is zero.
func parse(r rawEnv, present []string) (Config, error) {
	var p problems
	up, key := p.parseUpstream(r)
	a := p.parseAuth(r)
	c := Config{
		APIKey:      key,
		Upstream:    up,
		Connect:     p.parseConnect(r, up.VaultOrigin),
		AuthMode:    a.mode,
		JWT:         a.jwt,
		HS256Secret: a.hs256,
		Forward:     a.forward,
		Header:      a.header,

		RateLimitPerMinute:      p.integer("RATE_LIMIT_PER_MINUTE", r.RateLimitPerMinute, defaultRateLimitPerMinute, 0, math.MaxInt),
		RateLimitPerIPPerMinute: p.integer("RATE_LIMIT_PER_IP_PER_MINUTE", r.RateLimitPerIPPerMinute, 0, 0, math.MaxInt),
		RedisURL:                p.parseRedisURL(r.RedisURL),
		SessionReuseTTL:         p.duration("SESSION_REUSE_TTL", r.SessionReuseTTL, 0, 0),

		LogLevel:        p.parseLogLevel(r.LogLevel),
		LogFormat:       p.parseLogFormat(r.LogFormat),
		ShutdownTimeout: p.positiveDuration("SHUTDOWN_TIMEOUT", r.ShutdownTimeout, defaultShutdownTimeout),
		AdminPprof:      p.flag("ADMIN_PPROF", r.AdminPprof),
		Tracing:         p.parseTracing(r),
	}
	c.HTTPAddr, c.AdminAddr = p.parseAddrs(r.HTTPAddr, r.AdminAddr)
	p.checkFamilies(present)
	if err := p.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// parseAddrs reads HTTP_ADDR and ADMIN_ADDR, which must not collide: the
// admin listener serves metrics and pprof and must stay apart.
func (p *problems) parseAddrs(rawHTTP, rawAdmin string) (httpAddr, adminAddr string) {
	httpAddr, httpOK := p.listenAddr("HTTP_ADDR", rawHTTP, defaultHTTPAddr)
	adminAddr, adminOK := p.listenAddr("ADMIN_ADDR", rawAdmin, defaultAdminAddr)
	if httpOK && adminOK && sameListener(httpAddr, adminAddr) {
		p.add("ADMIN_ADDR", "must differ from HTTP_ADDR (both are %s)", adminAddr)
	}
	return httpAddr, adminAddr
}

// listenAddr checks host:port syntax with a numeric port (0 picks a free
// one, as in tests).
func (p *problems) listenAddr(name, raw, def string) (string, bool) {
	v := str(raw, def)
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		p.add(name, "%q is not host:port (e.g. :8080, 127.0.0.1:8080)", v)
		return def, false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add(name, "%q: the port must be a number from 0 to 65535", v)
		return def, false
	}
	return v, true
}

// sameListener reports whether two valid addresses would bind the same
// port: same non-zero port, and the same host or a wildcard on either side.
func sameListener(a, b string) bool {
	hostA, portA, _ := net.SplitHostPort(a)
	hostB, portB, _ := net.SplitHostPort(b)
	pa, _ := strconv.Atoi(portA)
	pb, _ := strconv.Atoi(portB)
	if pa == 0 || pa != pb {
		return false
	}
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return strings.EqualFold(hostA, hostB) || wildcard(hostA) || wildcard(hostB)
}

// parseLogLevel reads LOG_LEVEL by zerolog's level names.
func (p *problems) parseLogLevel(raw string) zerolog.Level {
	v := strings.ToLower(str(raw, "info"))
	lvl, err := zerolog.ParseLevel(v)
	// ParseLevel also takes numbers; only the names are documented.
	if err != nil || lvl.String() != v {
		p.add("LOG_LEVEL", "%q is not one of trace, debug, info, warn, error, fatal, panic, disabled", v)
		return zerolog.InfoLevel
	}
	return lvl
}

// parseLogFormat reads LOG_FORMAT.
func (p *problems) parseLogFormat(raw string) string {
	v := strings.ToLower(str(raw, "json"))
	if v != "json" && v != "console" {
		p.add("LOG_FORMAT", "%q is not json or console", v)
		return "json"
	}
	return v
}

// parseRedisURL checks REDIS_URL by go-redis's URL rules (redis://,
// rediss:// or unix://) without importing it here. The URL may hold a
// password, so no message repeats any part of it.
func (p *problems) parseRedisURL(raw string) string {
	v := strings.TrimSpace(raw)
	if v == "" {
		return ""
	}
	const name = "REDIS_URL"
	u, err := url.Parse(v)
	if err != nil {
		p.add(name, "not a valid URL")
		return ""
	}
	switch u.Scheme {
	case "redis", "rediss":
		db := strings.TrimPrefix(u.Path, "/")
		if n, err := strconv.Atoi(db); db != "" && (err != nil || n < 0) {
			p.add(name, "the path must be empty or a database number (redis://host:6379/0)")
			return ""
		}
	case "unix":
		if u.Path == "" {
			p.add(name, "unix:// needs a socket path (unix:///run/redis.sock)")
			return ""
		}
	default:
		p.add(name, "the scheme must be redis://, rediss:// or unix://")
		return ""
	}
	return v
}

// parseTracing reads the OTEL_* variables that decide whether and where
// spans go. Tracing is opt-in: on only when an OTLP endpoint is set, the SDK
// is not disabled and the traces exporter is not "none", so a deployment
// without a collector pays nothing. When it is on, a setting this build
// cannot honour is a problem rather than silently dropped spans. Messages
// never repeat an endpoint: it may carry credentials.
func (p *problems) parseTracing(r rawEnv) tracing.Options {
	general, traces := strings.TrimSpace(r.OTelEndpoint), strings.TrimSpace(r.OTelTracesEndpoint)
	exporter := strings.ToLower(strings.TrimSpace(r.OTelTracesExporter))
	if strings.EqualFold(strings.TrimSpace(r.OTelSDKDisabled), "true") || exporter == "none" || general == "" && traces == "" {
		return tracing.Options{}
	}
	if exporter != "" && exporter != "otlp" {
		p.add("OTEL_TRACES_EXPORTER", "only otlp (or none) is supported")
	}
	var endpoint string
	for _, e := range []struct{ name, raw, path string }{
		// The general endpoint is a base URL; the traces one is used as is,
		// and wins, as in the exporter itself.
		{"OTEL_EXPORTER_OTLP_ENDPOINT", r.OTelEndpoint, "v1/traces"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", r.OTelTracesEndpoint, ""},
	} {
		if e.raw == "" {
			continue
		}
		// Checked untrimmed: the exporter also parses the raw value, and
		// one it cannot parse it would log verbatim.
		u, err := url.Parse(e.raw)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			p.add(e.name, "must be an absolute http(s) URL")
			continue
		}
		if e.path != "" {
			u = u.JoinPath(e.path)
		}
		endpoint = u.String()
	}
	protoName, proto := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", strings.TrimSpace(r.OTelTracesProtocol)
	if proto == "" {
		protoName, proto = "OTEL_EXPORTER_OTLP_PROTOCOL", strings.TrimSpace(r.OTelProtocol)
	}
	switch proto {
	case "", "http/protobuf", "http/json":
	case "grpc":
		// The gRPC exporter would pull in a gRPC stack for one optional
		// feature; OTLP over HTTP reaches the same collectors.
		p.add(protoName, "grpc is not supported, use http/protobuf (collector port 4318)")
	default:
		p.add(protoName, "must be http/protobuf or http/json")
	}
	return tracing.Options{Endpoint: endpoint}
}
