#!/usr/bin/env bash
# Conformance check: drive the genesys-emulator with the official Genesys
# Cloud Python SDK (PureCloudPlatformClientV2) and check that it sees the
# behaviour it would see against Genesys Cloud.
#
#   bash tests/conformance/run.sh
#
# Needs python3 (with venv), cargo and access to PyPI. Everything else is
# created in a throwaway directory and removed on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# Pinned SDK version (override with GENESYS_PY_SDK_VERSION).
SDK_VERSION="${GENESYS_PY_SDK_VERSION:-269.0.0}"

WORK="$(mktemp -d)"
EMU_PID=""
cleanup() {
    if [[ -n "$EMU_PID" ]]; then
        kill "$EMU_PID" 2>/dev/null || true
        wait "$EMU_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "CONFORMANCE: FAIL ($*)"
    exit 1
}

echo "==> building the emulator"
(cd "$ROOT" && cargo build --quiet -p genesys-emulator --bin genesys-emulator) || fail "cargo build"
TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET_DIR/debug/genesys-emulator"
[[ -x "$BIN" ]] || fail "no emulator binary at $BIN"

echo "==> installing PureCloudPlatformClientV2==$SDK_VERSION into a throwaway venv"
python3 -m venv "$WORK/venv" || fail "python3 -m venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check \
    "PureCloudPlatformClientV2==$SDK_VERSION" || fail "pip install"

echo "==> starting the emulator"
"$BIN" --port 0 --json >"$WORK/banner.json" 2>"$WORK/emulator.log" </dev/null &
EMU_PID=$!
for _ in $(seq 1 200); do
    [[ -s "$WORK/banner.json" ]] && break
    kill -0 "$EMU_PID" 2>/dev/null || { cat "$WORK/emulator.log"; fail "emulator exited"; }
    sleep 0.05
done
[[ -s "$WORK/banner.json" ]] || fail "emulator printed no banner"
BASE="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["base_url"])' "$WORK/banner.json")"
echo "    emulator at $BASE"

echo "==> running the SDK scenario"
if "$WORK/venv/bin/python" "$HERE/conformance.py" "$BASE" "$WORK/banner.json"; then
    echo "CONFORMANCE: PASS"
else
    echo "--- emulator log ---"
    cat "$WORK/emulator.log"
    fail "see the checks above"
fi
