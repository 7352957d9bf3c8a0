# Shared by the conformance scripts (sourced, not run): a throwaway work
# directory, the emulator binary, a venv with one pinned package, and the
# emulator started on a free loopback port. The sourcing script sets
# LABEL (the prefix of its PASS/FAIL lines) first.

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

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
    echo "$LABEL: FAIL ($*)"
    exit 1
}

# Builds the emulator; sets BIN.
build_emulator() {
    echo "==> building the emulator"
    (cd "$ROOT" && cargo build --quiet -p genesys-emulator --bin genesys-emulator) || fail "cargo build"
    local target_dir
    target_dir="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    BIN="$target_dir/debug/genesys-emulator"
    [[ -x "$BIN" ]] || fail "no emulator binary at $BIN"
}

# install_venv REQUIREMENT: a venv at $WORK/venv with REQUIREMENT installed.
install_venv() {
    echo "==> installing $1 into a throwaway venv"
    python3 -m venv "$WORK/venv" || fail "python3 -m venv"
    "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "$1" || fail "pip install"
}

# Starts the emulator with its default world; its banner is $WORK/banner.json;
# sets EMU_PID and BASE.
start_emulator() {
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
}
