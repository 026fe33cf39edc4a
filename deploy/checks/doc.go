// Package checks verifies vaultgate's deployment artefacts — the Dockerfile
// and .dockerignore at the repository root, the Kubernetes manifests, the
// Compose example and the operations runbook — against the invariants
// operators rely on, and the commands, queries and links of the README and
// the runbook against the repository, so the documentation runs as written. It lives in its own module so that kustomize, the
// Kubernetes API types and compose-go never enter the service's go.mod.
//
// The helpers here are plain functions returning problems, so each rule is
// itself tested against a broken input; the tests run against the real files.
package checks
