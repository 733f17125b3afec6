#!/usr/bin/env bash
# Runs every test suite (the linters, jest, pytest, Galata), even when one fails, then prints one closing
# line with the totals: "all: N passed, M failed". Exits non-zero when any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
status=0
passed=0
failed=0

suite() {  # name, command...
  local name=$1; shift
  echo "== $name: $*"
  "$@" 2>&1 | tee "$logs/$name.log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -ne 0 ] && status=1
  # The runner's own closing line: jest "Tests: …", pytest "N passed in …", Playwright "N passed (…)".
  local line
  case $name in
    jest) line=$(grep -E '^Tests:' "$logs/$name.log" | tail -1) ;;
    *) line=$(grep -E '^[ =]*[0-9]+ (passed|failed)' "$logs/$name.log" | tail -1) ;;
  esac
  local p f
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then f=1; fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

suite lint bash scripts/lint.sh
suite jest npm test
suite pytest "${PYTHON_BIN:-.venv/bin/python}" -m pytest -q tests/python
suite galata bash -c 'cd ui-tests && npx playwright test'
rm -rf "$logs"
echo "all: $passed passed, $failed failed"
exit $status
