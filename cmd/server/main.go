// Command vaultgate serves /connect: it authenticates a user, maps them to an
// Apideck consumer and hands the browser a Hosted Vault session.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/vaultgate/vaultgate/internal/app"
	"github.com/vaultgate/vaultgate/internal/config"
)

// gcPercent replaces Go's default GOGC of 100. The live heap is a few MiB,
// so at 100 a collection runs every few hundred requests; 200 halves the
// collections' CPU for about 4 MiB more memory (bench/RESULTS.md). GOGC set
// in the environment wins, and GOMEMLIMIT still caps the heap.
const gcPercent = 200

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.Run(ctx, config.Environ(), os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vaultgate:", err)
		os.Exit(1)
	}
}
