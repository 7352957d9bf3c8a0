#!/usr/bin/env bash
# What generating identical event models as type aliases saves: cold
# `cargo check -p genesys-model` (our crate only; dependencies already
# built) with the call-events feature alone (`topics-users`) and with
# `--all-features`, for the committed code (aliases) and for the same code
# generated with every event model as its own struct
# (GENESYS_CODEGEN_NO_ALIASES=1 cargo xtask codegen). With `--baseline REV`
# it also measures `--all-features` at REV (e.g. the commit before event
# models existed) in a temporary git worktree.
#
#   bash crates/genesys-bench/event-compile-cost.sh [--runs N]
#
# Regenerates crates/genesys-model in place and restores it with
# `cargo xtask codegen` at the end (also on failure). Uses its own target
# directory. Prints wall and user-CPU seconds per run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
RUNS=1
BASELINE=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --baseline) BASELINE="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
TARGET="${CARGO_TARGET_DIR_FOR_COST:-$ROOT/target/compile-cost}"
trap 'cargo xtask codegen >/dev/null 2>&1 || echo "restore failed: run cargo xtask codegen" >&2' EXIT

measure() {
    local label="$1"; shift
    for _ in $(seq "$RUNS"); do
        cargo clean -p genesys-model --target-dir "$TARGET" >/dev/null 2>&1
        local out
        out=$( { /usr/bin/time -f '%e %U' cargo check -q -p genesys-model --target-dir "$TARGET" "$@" >/dev/null; } 2>&1 | tail -1)
        echo "| $label | ${*:-no features} | ${out% *} | ${out#* } |"
    done
}

cargo check -q -p genesys-model --target-dir "$TARGET" >/dev/null 2>&1 # dependencies
echo "| event models | features | wall s | user CPU s |"
echo "|---|---|---|---|"
cargo xtask codegen >/dev/null 2>&1
measure "aliases" --features topics-users
measure "aliases" --all-features
GENESYS_CODEGEN_NO_ALIASES=1 cargo xtask codegen >/dev/null 2>&1
measure "one struct each" --features topics-users
measure "one struct each" --all-features
if [[ -n "$BASELINE" ]]; then
    BASE_TREE="$(mktemp -d)/base"
    git worktree add --detach "$BASE_TREE" "$BASELINE" >/dev/null 2>&1
    (cd "$BASE_TREE" && cargo check -q -p genesys-model --target-dir "$TARGET" >/dev/null 2>&1 || true
     cd "$BASE_TREE" && measure "none (at $BASELINE)" --all-features)
    git worktree remove --force "$BASE_TREE"
fi
