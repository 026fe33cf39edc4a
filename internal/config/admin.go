package config

import "os"

// AdminAddrFromEnv is ADMIN_ADDR alone, for the healthcheck subcommand: a
// probe must work even where the rest of the configuration would not load.
func AdminAddrFromEnv() string {
	if v := os.Getenv("ADMIN_ADDR"); v != "" {
		return v
	}
	return ":9090"
}
