#!/usr/bin/env bash
# Reproduces bench/RESULTS.md: the in-process benchmarks (go test -bench),
# then the load benchmark, which builds vaultgate, the bare reference
# program and the lean Apideck mock, runs them as separate processes on
# 127.0.0.1 and drives them with bench/cmd/loadgen. Arguments go to loadgen
# (see `go run ./bench/cmd/loadgen -h`), e.g. `scripts/bench.sh -runs 5
# -duration 20s`. Set GO_BENCH=0 to skip the in-process benchmarks,
# LOAD_BENCH=0 to skip the load benchmark.
# Everything stops by itself; nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(mktemp -d "${TMPDIR:-/tmp}/vaultgate-bench.XXXXXX")
trap 'rm -rf "$bin"' EXIT

if [ "${GO_BENCH:-1}" != 0 ]; then
  echo "## In-process benchmarks"
  echo
  echo '```'
  go test -run '^$' -bench 'BenchmarkConnectEndToEnd' -benchmem -count "${GO_BENCH_COUNT:-3}" ./internal/app
  go test -run '^$' -bench 'BenchmarkVerify' -benchmem -count "${GO_BENCH_COUNT:-3}" ./internal/auth
  go test -run '^$' -bench 'BenchmarkAllowlistCheck' -benchmem -count "${GO_BENCH_COUNT:-3}" ./internal/handler
  echo '```'
  echo
fi

if [ "${LOAD_BENCH:-1}" != 0 ]; then
  echo "## Load benchmark"
  echo
  go build -o "$bin/vaultgate" ./cmd/server
  go build -o "$bin/bare" ./bench/cmd/bare
  go build -o "$bin/leanmock" ./bench/cmd/leanmock
  go build -o "$bin/loadgen" ./bench/cmd/loadgen
  "$bin/loadgen" -server "$bin/vaultgate" -bare "$bin/bare" -mock "$bin/leanmock" "$@"
fi
