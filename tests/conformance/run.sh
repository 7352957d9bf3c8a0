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

LABEL=CONFORMANCE
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# Pinned SDK version (override with GENESYS_PY_SDK_VERSION).
SDK_VERSION="${GENESYS_PY_SDK_VERSION:-269.0.0}"

build_emulator
install_venv "PureCloudPlatformClientV2==$SDK_VERSION"
start_emulator

echo "==> running the SDK scenario"
if "$WORK/venv/bin/python" "$HERE/conformance.py" "$BASE" "$WORK/banner.json"; then
    echo "CONFORMANCE: PASS"
else
    echo "--- emulator log ---"
    cat "$WORK/emulator.log"
    fail "see the checks above"
fi
