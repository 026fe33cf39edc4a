// Command apideck-sim serves the Apideck Vault session simulator on its own,
// for load benchmarks and manual testing. It prints its URL and serves until
// interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "apideck-sim:", err)
		stop()
		os.Exit(1)
	}
}

// run parses flags, listens and serves until ctx ends. The URL goes to
// stdout as one line, so a script can read where to point APIDECK_BASE_URL.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("apideck-sim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	apiKey := fs.String("api-key", "", "API key the simulator expects as Bearer token (required)")
	appID := fs.String("app-id", "", "application id expected in x-apideck-app-id (required)")
	latency := fs.Duration("latency", 0, "delay before every POST /vault/sessions answer")
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
	sim, err := simulator.New(simulator.Config{APIKey: *apiKey, AppID: *appID, VaultOrigin: url})
	if err != nil {
		_ = ln.Close()
		return err
	}
	sim.SetLatency(*latency)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
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
