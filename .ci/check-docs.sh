#!/usr/bin/env bash
# Builds the rustdoc of every crate with warnings denied.
#
#   bash .ci/check-docs.sh          # default features of every crate (CI; ~30 s warm)
#   bash .ci/check-docs.sh --full   # also `full` for genesys-model and genesys-cloud
#                                    # (~2 and ~3 minutes more on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTDOCFLAGS="${RUSTDOCFLAGS:-} -D warnings"

cargo doc --no-deps \
    -p genesys-model -p genesys-auth -p genesys-transport \
    -p genesys-cloud -p genesys-emulator -p genesys-cli
# The auth crate's optional parts (grants, http-client) are small: all of them.
cargo doc --no-deps -p genesys-auth --all-features

if [ "${1:-}" = "--full" ]; then
    cargo doc --no-deps -p genesys-model --features full
    cargo doc --no-deps -p genesys-cloud --features full,notifications-client
fi
