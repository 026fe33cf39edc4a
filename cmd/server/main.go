// Command vaultgate serves /connect: it authenticates a user, maps them to an
// Apideck consumer and hands the browser a Hosted Vault session.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/vaultgate/vaultgate/internal/app"
	"github.com/vaultgate/vaultgate/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.Run(ctx, config.Environ(), os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vaultgate:", err)
		os.Exit(1)
	}
}
