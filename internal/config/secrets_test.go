package config

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestSecretFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		content  string
		wantKey  string
		wantVars []string
	}{
		{"plain", testAPIKey, testAPIKey, nil},
		{"trailing newline", testAPIKey + "\n", testAPIKey, nil},
		{"trailing CRLF and spaces", testAPIKey + " \r\n\n", testAPIKey, nil},
		{"empty", "", "", []string{"APIDECK_API_KEY_FILE"}},
		{"only a newline", "\n", "", []string{"APIDECK_API_KEY_FILE"}},
		{"two lines", "sk_one\nsk_two\n", "", []string{"APIDECK_API_KEY"}},
		{"too large", strings.Repeat("k", maxSecretFile+1), "", []string{"APIDECK_API_KEY_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := with(requiredEnv(), map[string]string{"APIDECK_API_KEY_FILE": writeFile(t, tt.content)}, "APIDECK_API_KEY")
			c, err := fromMap(env)
			if got := problemVars(t, err); strings.Join(got, ",") != strings.Join(tt.wantVars, ",") {
				t.Fatalf("problems = %v, want %v; error: %v", got, tt.wantVars, err)
			}
			if got := c.Upstream.APIKey.Reveal(); got != tt.wantKey {
				t.Errorf("key = %q, want %q", got, tt.wantKey)
			}
			if v := strings.TrimSpace(tt.content); err != nil && len(v) >= 6 && strings.Contains(err.Error(), v[:6]) {
				t.Errorf("error shows the file's contents: %v", err)
			}
		})
	}
}

func TestHMACSecretFile(t *testing.T) {
	t.Parallel()
	env := with(hmacEnv(), map[string]string{"AUTH_HS256_SECRET_FILE": writeFile(t, testHMACSecret+"\n")}, "AUTH_HS256_SECRET")
	c := mustParse(t, env)
	if got := string(c.JWT.HS256Secret); got != testHMACSecret {
		t.Errorf("secret = %q, want the file's first line", got)
	}
	if strings.Join(c.JWT.Algorithms, ",") != "HS256" {
		t.Errorf("algorithms = %v, want [HS256] by default with a secret", c.JWT.Algorithms)
	}

	short := with(env, map[string]string{"AUTH_HS256_SECRET_FILE": writeFile(t, "short\n")})
	_, err := fromMap(short)
	if got := strings.Join(problemVars(t, err), ","); got != "AUTH_HS256_SECRET_FILE" {
		t.Errorf("a short secret from a file must name the _FILE variable; got %q (%v)", got, err)
	}
}

// TestSecretsNeverPrinted breaks a configuration in every way that touches
// a secret and checks that no secret reaches the error or the log line.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const redisPassword = "r3dis-Pa55word"
	keyWithSpace := testAPIKey + " trailing"
	shortSecret := "hmac-short-Zq8"
	bad := with(requiredEnv(), map[string]string{
		"APIDECK_API_KEY":   keyWithSpace,
		"AUTH_HS256_SECRET": shortSecret,
		"REDIS_URL":         "redis://:" + redisPassword + "@[::1",
	}, "AUTH_JWKS_URL")
	_, err := fromMap(bad)
	if err == nil {
		t.Fatal("expected errors")
	}
	for _, s := range []string{testAPIKey, "trailing", shortSecret, redisPassword} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error shows secret %q:\n%v", s, err)
		}
	}

	// A REDIS_URL whose password holds "/" splits where no parser
	// expects; the message must still not show any of it.
	_, err = fromMap(with(requiredEnv(), map[string]string{"REDIS_URL": "redis://:pa/ss@host:6379"}))
	if err == nil || strings.Contains(err.Error(), ":pa") || strings.Contains(err.Error(), "ss@") {
		t.Errorf("want a REDIS_URL error without the password, got %v", err)
	}

	good := mustParse(t, with(hmacEnv(), map[string]string{
		"REDIS_URL":      "rediss://default:" + redisPassword + "@redis.example.test:6380/0",
		"AUTH_LOGIN_URL": "https://app.example.test/login?token=login-query-token",
	}))
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	log.Info().Object("config", good.LogSafe()).Msg("starting")
	out := buf.String()
	for _, s := range []string{testAPIKey, testHMACSecret, redisPassword, "login-query-token"} {
		if strings.Contains(out, s) {
			t.Errorf("LogSafe shows secret %q:\n%s", s, out)
		}
	}
	// The line is useful: it carries what an operator checks first.
	for _, s := range []string{`"app_id":"app_123"`, `"mode":"jwt"`, `"key_source":"hs256_secret"`, `"redis":"rediss://redis.example.test:6380/0"`, `"timeout":"10s"`} {
		if !strings.Contains(out, s) {
			t.Errorf("LogSafe lacks %s:\n%s", s, out)
		}
	}
}
