// Command apideck-sim serves the Apideck Vault simulator on its own, for
// load benchmarks, manual testing and frontend teams. It prints its URL and
// serves until interrupted.
//
// Besides Apideck's endpoints (POST /vault/sessions, GET /vault/connections,
// GET and DELETE /vault/connections/{unified_api}/{service_id},
// GET /vault/callback) and the simulated Vault pages, the same listener has
// control endpoints, answered only to loopback peers and only for JSON
// bodies (Content-Type: application/json, at most 4 KiB):
//
//	POST   /_sim/faults  {"route":"list_connections","status":429,"delay":"2s","hang":false,"count":3}
//	       route: create_session, list_connections, get_connection,
//	       delete_connection or "*"; status: the answer (4xx and 500 in
//	       Apideck's JSON error shape, 502–504 as a gateway's HTML page);
//	       delay: a Go duration (at most 1h) before answering; hang: never
//	       answer; count: how many calls (0 or absent: until cleared);
//	       body: "html" (200 with a maintenance page), "huge" (a success
//	       padded past 5 MiB) or "extra" (a success with members Apideck's
//	       schema lacks).
//	       Injections apply in the order added. 204.
//	DELETE /_sim/faults  clears every injection. 204.
//	POST   /_sim/events  {"consumer_id":"org_42","unified_api":"crm","service_id":"salesforce",
//	                      "event_type":"vault.connection.callable"}
//	       sends one signed webhook to -webhook-url now; 204 when the
//	       receiver answered 2xx, 502 when it did not, 409 without -webhook-url.
//
// Errors are JSON {"error":"…"}. With -webhook-url, connecting on the Vault
// page sends vault.connection.created, updated and callable, disconnecting
// (on the page or by DELETE) vault.connection.deleted, signed with the API key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vaultgate/vaultgate/internal/simulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		// -h: the usage is printed; asking for it is no failure.
	case err != nil:
		fmt.Fprintln(os.Stderr, "apideck-sim:", err)
		stop()
		os.Exit(1)
	}
}

// usageControl is the -h text about the control endpoints.
const usageControl = `
Control endpoints (loopback peers only, Content-Type: application/json):
  POST   /_sim/faults  {"route":"list_connections","status":429,"delay":"2s","hang":false,"count":3}
         route: create_session | list_connections | get_connection | delete_connection | *
         count 0 or absent: until cleared; "body":"html" | "huge" | "extra" changes a success
  DELETE /_sim/faults  clear every injection
  POST   /_sim/events  {"consumer_id":"org_42","unified_api":"crm","service_id":"salesforce",
                        "event_type":"vault.connection.callable"}  (needs -webhook-url)
`

// run parses flags, listens and serves until ctx ends. The URL goes to
// stdout as one line, so a script can read where to point APIDECK_BASE_URL.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apideck-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	apiKey := fs.String("api-key", "", "API key the simulator expects as Bearer token (required)")
	appID := fs.String("app-id", "", "application id expected in x-apideck-app-id (required)")
	latency := fs.Duration("latency", 0, "delay before every POST /vault/sessions answer")
	webhookURL := fs.String("webhook-url", "", "where to POST signed Vault connection events (empty: none)")
	encoding := fs.String("webhook-encoding", "hex", "x-apideck-signature encoding: hex or base64")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: apideck-sim -api-key KEY -app-id ID [flags]")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), usageControl)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *apiKey == "" || *appID == "" {
		return errors.New("-api-key and -app-id are required")
	}
	// Listen before serving so a taken port fails here and :0 works.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	sim, err := simulator.New(simulator.Config{
		APIKey: *apiKey, AppID: *appID, VaultOrigin: url,
		WebhookURL: *webhookURL, WebhookEncoding: *encoding,
		ErrorLog: log.New(stderr, "apideck-sim: ", log.LstdFlags),
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	sim.SetLatency(*latency)
	mux := http.NewServeMux()
	mux.Handle("/_sim/", control(sim))
	mux.Handle("/", sim)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintln(stdout, url)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
