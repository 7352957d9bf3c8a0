#!/usr/bin/env bash
# Conformance with an independent tool: schemathesis (PyPI) generates
# requests for every operation of the shared Genesys spec, sends them to the
# genesys-emulator with a client-credentials token, and checks that each
# answer's status is documented and its body fits the documented schema.
#
#   bash tests/conformance/schemathesis.sh            # 1 example per operation
#   EXAMPLES=5 bash tests/conformance/schemathesis.sh # more examples
#
# Needs python3 (with venv), cargo and access to PyPI. Everything else is
# created in a throwaway directory and removed on exit. Prints the share of
# operations that pass and exits non-zero when any fails.
#
# Deliberate differences from a plain run (see crates/genesys-emulator/README.md):
# - `deleteTokensMe` is left out: it revokes the token the run uses, after
#   which every operation would answer 401.
# - `format: uri` is read as `uri-reference`: Genesys answers paths
#   (`"selfUri": "/api/v2/users/..."`) where the spec says `uri`, and the
#   emulator does as Genesys does.
# - schemathesis's health checks are off: they judge schemathesis's own
#   data generation (too slow, too large) on a few large definitions
#   (quality evaluations and calibrations), not the emulator.
set -euo pipefail

LABEL=SCHEMATHESIS
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SPEC="${GENESYS_SPEC:-$ROOT/../shared/spec/genesys-platform-api-v2.json}"
# Pinned tool version (override with SCHEMATHESIS_VERSION).
VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
EXAMPLES="${EXAMPLES:-1}"
SEED="${SEED:-1}"

[[ -f "$SPEC" ]] || fail "no spec at $SPEC"

build_emulator
install_venv "schemathesis==$VERSION"

echo "==> preparing the spec (format uri read as uri-reference)"
python3 - "$SPEC" "$WORK/spec.json" <<'PY'
import json, sys

def relax(node):
    if isinstance(node, dict):
        if node.get("format") == "uri":
            node["format"] = "uri-reference"
        for value in node.values():
            relax(value)
    elif isinstance(node, list):
        for value in node:
            relax(value)

with open(sys.argv[1], encoding="utf-8") as f:
    spec = json.load(f)
relax(spec)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(spec, f)
PY

start_emulator

# A client-credentials token of the seeded client that holds every permission.
TOKEN="$(python3 - "$WORK/banner.json" <<'PY'
import base64, json, sys, urllib.request

banner = json.loads(open(sys.argv[1], encoding="utf-8").readline())
client = next(c for c in banner["clients"] if "emulator-admin" in c["roles"])
basic = base64.b64encode(f'{client["id"]}:{client["secret"]}'.encode()).decode()
request = urllib.request.Request(
    banner["base_url"] + "/oauth/token",
    data=b"grant_type=client_credentials",
    headers={"Authorization": "Basic " + basic,
             "Content-Type": "application/x-www-form-urlencoded"},
)
print(json.load(urllib.request.urlopen(request))["access_token"])
PY
)" || fail "no token"
echo "==> schemathesis: $EXAMPLES example(s) per operation, seed $SEED"
set +e
(cd "$WORK" && "$WORK/venv/bin/schemathesis" run "$WORK/spec.json" \
    --url "$BASE" \
    -H "Authorization: Bearer $TOKEN" \
    --checks status_code_conformance,response_schema_conformance \
    --mode positive \
    --phases fuzzing \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --workers 2 \
    --generation-database none \
    --suppress-health-check all \
    --exclude-operation-id deleteTokensMe \
    --no-color \
    --report json --report-json-path "$WORK/report.json" >"$WORK/schemathesis.log" 2>&1)
STATUS=$?
set -e
if [[ $STATUS -ne 0 ]]; then
    # What failed, with the request to reproduce it (bounded).
    awk '/=== (ERRORS|FAILURES) ===/ { on = 1 } /=== WARNINGS ===/ { on = 0 } on' \
        "$WORK/schemathesis.log" | head -n 400
fi
tail -n 25 "$WORK/schemathesis.log"

python3 - "$WORK/report.json" "$STATUS" <<'PY' || { echo "--- emulator log (tail) ---"; tail -n 40 "$WORK/emulator.log"; exit 1; }
import json, sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
ops = report["operations"]
failing = set()
for failure in report.get("failures", []):
    failing.update(failure.get("operations", []))
for error in report.get("errors", []):
    failing.update(error.get("operations", []))
tested = ops["tested"]
passing = tested - len(failing)
share = 100.0 * passing / ops["total"] if ops["total"] else 0.0
print(f"SCHEMATHESIS: {passing}/{ops['total']} operations pass ({share:.1f}%); "
      f"{ops['total'] - ops['selected']} left out on purpose, {len(failing)} failing, "
      f"{ops.get('errored', 0)} not tested (schemathesis errors)")
for op in sorted(failing):
    print(f"  failing: {op}")
ok = int(sys.argv[2]) == 0 and not failing and tested == ops["selected"]
print("SCHEMATHESIS: PASS" if ok else "SCHEMATHESIS: FAIL")
sys.exit(0 if ok else 1)
PY
