#!/usr/bin/env bash
# Runs every test of FastIo on a fresh machine: installs what the tests need, builds, runs NUnit (unit,
# protocol and interop tests that drive the real npm clients), and prints one closing line
# "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# The interop tests drive engine.io-client / socket.io-client from npm.
if ! command -v node >/dev/null 2>&1; then
  echo "node is required (Node 20)"; exit 1
fi
(cd tests/interop && npm ci --no-audit --no-fund --silent)

# The Redis adapter tests start their own redis-server on a free port, the deploy tests their own nginx and HAProxy
# (tests/FastIo.Tests/Deploy); install the Debian packages that are missing. The tests never use the system services,
# so a policy-rc.d (when the machine has none) keeps the packages from starting them: no server appears on port 80
# or 6379, and a machine without systemd installs as well.
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing=()
for package in redis-server nginx haproxy; do have "$package" || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  policy_added=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
  fi
  install_status=0
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/tmp/fastio-install.log 2>&1 \
    || install_status=$?
  if [ -n "$policy_added" ]; then rm -f /usr/sbin/policy-rc.d; fi
  if [ "$install_status" -ne 0 ]; then cat /tmp/fastio-install.log; echo "could not install ${missing[*]}"; exit 1; fi
fi

dotnet build FastIo.sln -c Release -nologo -clp:ErrorsOnly
set +e
# A test that hangs fails the run after 5 minutes with a dump naming it, instead of using up CI's time.
dotnet test tests/FastIo.Tests -c Release --no-build -nologo --blame-hang --blame-hang-timeout 5m 2>&1 | tee /tmp/fastio-test.log
status=${PIPESTATUS[0]}
set -e

# The benchmark suite's smoke run (bench/run.sh --quick, about a minute) keeps the load generator, the bench app
# and the Node baseline from rotting: it asserts no timings, only that every scenario completes on both servers.
set +e
bench/run.sh --quick >/tmp/fastio-bench.log 2>&1
bench_status=$?
set -e
grep -E '^(bench:|broken:)' /tmp/fastio-bench.log || tail -n 20 /tmp/fastio-bench.log

summary=$(grep -E '(Passed|Failed)!' /tmp/fastio-test.log | tail -1 || true)
passed=$(sed -nE 's/.*Passed: *([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*Failed: *([0-9]+).*/\1/p' <<<"$summary")
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
if [ "$status" -ne 0 ] || [ "${passed:-0}" -eq 0 ] || [ "$bench_status" -ne 0 ]; then exit 1; fi
