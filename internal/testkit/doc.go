// Package testkit holds helpers shared by vaultgate's tests; only _test files import it.
package testkit
