#!/usr/bin/env bash
# Runs vaultgate's whole test suite: formatting, vet, the service's tests
# (race detector on, fuzz seed corpora included), short fuzz runs, and the
# deployment manifests' checks. Installs what the tests need when missing:
# Chromium for the browser test, redis-server for the shared-state tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
# Test artifacts (browser screenshots) land here.
export VAULTGATE_ARTIFACTS="${VAULTGATE_ARTIFACTS:-$PWD/artifacts}"
mkdir -p "$VAULTGATE_ARTIFACTS"
go test -race -count=1 -timeout 10m ./...

# Each fuzz target runs briefly beyond its committed corpus.
fuzz_seconds="${FUZZ_SECONDS:-3}s"
while read -r pkg target; do
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzz_seconds" "$pkg" >/dev/null
  echo "fuzz ok: $pkg $target"
done < <(grep -rlE '^func Fuzz' --include='*_test.go' internal | while read -r f; do
  for t in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$f" | awk '{print $2}'); do
    echo "./$(dirname "$f") $t"
  done
done)

# The benchmarks must keep running (one iteration each; never timed here).
go test -run '^$' -bench . -benchtime=1x ./... >/dev/null
echo "benchmarks ok"

(cd deploy && go vet ./... && go test -count=1 ./...)
