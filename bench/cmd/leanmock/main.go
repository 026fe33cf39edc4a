// Command leanmock is the load benchmark's stand-in for Apideck: POST
// /vault/sessions checks the headers Apideck requires, drains the body and
// answers Apideck's success envelope with a fixed session on its own
// origin. It does nothing else, so the upstream costs every target as
// little as possible and the direct-to-mock row is a true ceiling. It
// prints its URL as its one stdout line and serves until killed.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// token is a fixed session token shaped like Apideck's (a JWT of similar
// length), so answers are as long as real ones.
const token = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJhcHBsaWNhdGlvbl9pZCI6ImFwcC1iZW5jaCIsImNvbnN1bWVyX2lkIjoib3JnX2JlbmNoIiwiaWF0IjoxNzY0NjA0ODAwLCJleHAiOjE3NjQ2MDg0MDB9." +
	"q5m3pC0Vb2bQ8f4hT9rWl1sXyZuNaEkJdGvHcIoPtR7wLxY6zKQe0UjFgMn-S_aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567890abc"

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	apiKey := flag.String("api-key", "", "API key expected as Bearer token (required)")
	appID := flag.String("app-id", "", "application id expected in x-apideck-app-id (required)")
	latency := flag.Duration("latency", 0, "delay before every answer")
	flag.Parse()
	if *apiKey == "" || *appID == "" {
		fmt.Fprintln(os.Stderr, "leanmock: -api-key and -app-id are required")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "leanmock:", err)
		os.Exit(1)
	}
	url := "http://" + ln.Addr().String()
	ok := []byte(`{"status_code":200,"status":"OK","data":{"session_uri":"` + url + `/session/` + token +
		`","session_token":"` + token + `"}}`)
	unauthorized := []byte(`{"status_code":401,"error":"Unauthorized","type_name":"UnauthorizedError","message":"Unauthorized Request"}`)
	badRequest := []byte(`{"status_code":400,"error":"Bad Request","type_name":"RequestValidationError","message":"Missing x-apideck-consumer-id"}`)
	wantAuth := "Bearer " + *apiKey

	mux := http.NewServeMux()
	mux.HandleFunc("POST /vault/sessions", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = []string{"application/json"}
		switch {
		case r.Header.Get("Authorization") != wantAuth || r.Header.Get("X-Apideck-App-Id") != *appID:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write(unauthorized)
			return
		case r.Header.Get("X-Apideck-Consumer-Id") == "":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(badRequest)
			return
		}
		if *latency > 0 {
			t := time.NewTimer(*latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		_, _ = w.Write(ok)
	})
	fmt.Println(url)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, "leanmock:", srv.Serve(ln))
	os.Exit(1)
}
