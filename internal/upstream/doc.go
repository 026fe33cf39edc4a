// Package upstream is the client for Apideck's POST /vault/sessions: retries,
// deadline, concurrency bound, circuit breaker and typed errors.
package upstream
