#!/usr/bin/env bash
# The linters, as the JupyterLab extension template runs them, and the import-cycle check:
# ESLint (typescript-eslint), Prettier, stylelint, and madge over src/ (a module's imports
# point down; no cycle). Runs each, even after a failure, and prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
check() {  # name, command...
  local name=$1; shift
  if "$@"; then
    echo "lint: $name ok"
    passed=$((passed + 1))
  else
    echo "lint: $name FAILED ($*)"
    failed=$((failed + 1))
  fi
}
check eslint npx eslint .
check prettier npx prettier --check --log-level warn .
check stylelint npx stylelint "style/**/*.css"
check import-cycles npx madge --circular --warning --extensions ts --ts-config tsconfig.json src
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
