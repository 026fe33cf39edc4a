package upstream

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// TestSecretsStayOut drives every failure path with an upstream that echoes
// secrets back, and checks that no log line or error carries them.
func TestSecretsStayOut(t *testing.T) {
	t.Parallel()
	echo := `{"type_name":"Err","message":"` + testKey + `","detail":"` + testToken + `"}`
	handlers := map[string]http.HandlerFunc{
		"ok": okHandler,
		"400 echo": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(echo))
		},
		"401 echo": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(echo))
		},
		"503 echo retried": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(503)
			_, _ = w.Write([]byte(echo))
		},
		"foreign origin": func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(sessionBody("https://evil.example.test/session/"+testToken, testToken))
		},
		"missing token": func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"data":{"session_uri":"` + testURI + `"}}`))
		},
		"HTML": func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html>" + testKey + testToken + "</html>"))
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, h)
			tc := newTestClient(t, srv, nil)
			// A request-scoped logger at debug level, as the handler passes it.
			ctxLog := &testkit.Buffer{}
			ctx := zerolog.New(ctxLog).Level(zerolog.DebugLevel).WithContext(t.Context())
			_, _, err := tc.create(ctx)
			texts := map[string]string{"client log": tc.logs.String(), "request log": ctxLog.String()}
			if err != nil {
				texts["error"] = err.Error()
			}
			for where, text := range texts {
				for _, s := range []string{testKey, testToken, "Bearer"} {
					if strings.Contains(text, s) {
						t.Errorf("%s contains a secret (%.12s…): %s", where, s, text)
					}
				}
			}
			if name == "503 echo retried" && !strings.Contains(ctxLog.String(), `"attempt":1`) {
				t.Errorf("retry not logged on the request logger: %q", ctxLog.String())
			}
		})
	}
}
