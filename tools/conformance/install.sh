#!/usr/bin/env bash
# Idempotently create the Python 3.11 venv used by the SCIM conformance runner
# and install the pinned tools (scim2-tester, scim-sanity) from PyPI.
#
#   tools/conformance/install.sh          # create / refresh if needed
#   FORCE=1 tools/conformance/install.sh  # rebuild from scratch
#
# Env overrides: CONFORMANCE_VENV (venv dir), CONFORMANCE_PYTHON (interpreter).
# Prints a single line on success; pip output is shown only on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${CONFORMANCE_VENV:-$root/.cache/conformance-venv}"
req="$here/requirements.txt"
stamp="$venv/.conformance-stamp"

find_python() {
  local c
  for c in "${CONFORMANCE_PYTHON:-}" python3.11 python3; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || continue
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

py="$(find_python)" || { echo "conformance: Python 3.11 not found (set CONFORMANCE_PYTHON)" >&2; exit 1; }
want="$(sha256sum "$req" | cut -d' ' -f1) $("$py" -c 'import sys; print(sys.version.split()[0])')"

if [ "${FORCE:-0}" != "1" ] && [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "conformance venv up to date: $venv"
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! {
  rm -rf "$venv" &&
  mkdir -p "$(dirname "$venv")" &&
  "$py" -m venv "$venv" &&
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req" &&
  "$venv/bin/python" -m pip check &&
  "$venv/bin/python" -c 'import scim2_tester, scim_sanity, httpx2, scim2_client.engines.httpx2'
} >"$log" 2>&1; then
  cat "$log" >&2
  echo "conformance: install failed (venv: $venv)" >&2
  exit 1
fi
echo "$want" >"$stamp"
echo "conformance venv installed: $venv (scim2-tester 0.5.2, scim-sanity 0.7.4)"
