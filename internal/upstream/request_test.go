package upstream

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

func TestRequestHeaderCopiesTheTemplate(t *testing.T) {
	cfg := testConfig("https://unify.example.test")
	tmpl := newHeaderTemplate(cfg)
	before := tmpl.Clone()

	a := requestHeader(tmpl, "org_a")
	b := requestHeader(tmpl, "org_b")
	a.Set("Traceparent", "00-added-by-a-wrapping-transport")
	a["Accept"][0] = "changed"

	want := func(consumer string) http.Header {
		return http.Header{
			"Authorization":         {"Bearer " + cfg.APIKey},
			"X-Apideck-App-Id":      {cfg.AppID},
			"X-Apideck-Consumer-Id": {consumer},
			"Content-Type":          {"application/json"},
			"Accept":                {"application/json"},
			"User-Agent":            {userAgent},
		}
	}
	if diff := cmp.Diff(want("org_b"), b); diff != "" {
		t.Errorf("second header (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, tmpl); diff != "" {
		t.Errorf("template changed by its copies (-before +after):\n%s", diff)
	}
	if got := tmpl.Get("X-Apideck-Consumer-Id"); got != "" {
		t.Errorf("template consumer id = %q, want empty", got)
	}
}

func TestNewRequestMatchesNetHTTP(t *testing.T) {
	body := []byte(`{"redirect_uri":"https://app.example.test/done"}`)
	for _, base := range []string{
		"https://unify.apideck.com", "https://unify.apideck.com/", "http://127.0.0.1:8090",
		"https://gateway.example.test/apideck/", "https://unify.apideck.com:/",
	} {
		t.Run(base, func(t *testing.T) {
			c, err := New(testConfig(base), nil, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			got := c.newRequest(t.Context(), "org_1", body)
			want, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
				strings.TrimRight(base, "/")+"/vault/sessions", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			type shape struct {
				Method, URL, Host, Proto string
				Major, Minor             int
				Length                   int64
				Body, Rewound            string
				Ctx                      bool
			}
			of := func(r *http.Request) shape {
				b, _ := io.ReadAll(r.Body)
				rb, _ := r.GetBody()
				rewound, _ := io.ReadAll(rb)
				return shape{r.Method, r.URL.String(), r.Host, r.Proto, r.ProtoMajor, r.ProtoMinor,
					r.ContentLength, string(b), string(rewound), r.Context() == t.Context()}
			}
			if diff := cmp.Diff(of(want), of(got)); diff != "" {
				t.Errorf("request (-net/http +newRequest):\n%s", diff)
			}
			if got.URL == c.endpoint {
				t.Error("request shares the client's parsed endpoint")
			}
		})
	}
}
