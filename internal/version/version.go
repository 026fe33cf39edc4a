// Package version carries the build's version and commit, stamped with
// -ldflags "-X github.com/vaultgate/vaultgate/internal/version.Version=… -X …Commit=…".
package version

// Set at link time; "dev" and "unknown" in plain `go run` builds.
var (
	Version = "dev"
	Commit  = "unknown"
)
