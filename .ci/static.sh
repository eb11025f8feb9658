#!/usr/bin/env bash
# Static checks: bandit and pip-audit. Idempotent; exits non-zero on a finding.
#
# - bandit: no medium or high finding in the application code. An accepted finding is excluded in
#   place, on its line, as `# nosec B<id>  # why it is safe` (bandit reads test ids up to the next `#`).
# - pip-audit: no known vulnerability in the packages installed in .venv, where a vulnerability service
#   answers: PyPI's per-release JSON API, else OSV. Where neither answers (a closed network), it prints
#   "pip-audit: SKIPPED (vulnerability service unreachable)" — skipped, not passed.
#
# Usage: .ci/static.sh            (from anywhere; uses and, if needed, creates the project's .venv)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
PROBE_TIMEOUT=${STATIC_PROBE_TIMEOUT:-5}

make -s .venv/.installed-dev

status=0

# --- bandit -------------------------------------------------------------------------------------
echo "bandit: kakehashi/ and wsgi.py, medium and high severity"
if "$BIN/bandit" -r kakehashi wsgi.py --severity-level medium --quiet --format custom \
  --msg-template "{relpath}:{line}: {test_id} [{severity}/{confidence}] {msg}"; then
  echo "bandit: PASSED (no medium or high finding)"
else
  echo "bandit: FAILED (fix the finding, or exclude it in place with '# nosec B<id>  # reason')"
  status=1
fi

# --- pip-audit ----------------------------------------------------------------------------------
# Which vulnerability service answers? A release endpoint that surely exists (pip's own version in
# .venv) must answer with a "vulnerabilities" list: a proxy that serves only what pip installs answers
# 404 there, and pip-audit would then skip every package while reporting no vulnerability.
service=$("$BIN/python" - "$PROBE_TIMEOUT" <<'PY'
import json
import sys
import urllib.request
from importlib.metadata import version

timeout = float(sys.argv[1])
pip_version = version("pip")


def answers(request):
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status == 200 and json.load(response)
    except Exception:
        return None


pypi = answers(f"https://pypi.org/pypi/pip/{pip_version}/json")
if isinstance(pypi, dict) and isinstance(pypi.get("vulnerabilities"), list):
    print("pypi")
    sys.exit()
query = json.dumps({"package": {"name": "pip", "ecosystem": "PyPI"}, "version": pip_version}).encode()
osv = answers(
    urllib.request.Request(
        "https://api.osv.dev/v1/query", data=query, headers={"Content-Type": "application/json"}, method="POST"
    )
)
print("osv" if isinstance(osv, dict) else "none")
PY
)

if [ "$service" = none ]; then
  echo "pip-audit: SKIPPED (vulnerability service unreachable)"
else
  echo "pip-audit: the packages in .venv, against the $service vulnerability service"
  report=$(mktemp)
  trap 'rm -f "$report"' EXIT
  # pip-audit exits 1 when it finds a vulnerability; the summary below decides.
  "$BIN/pip-audit" --vulnerability-service "$service" --skip-editable --progress-spinner off \
    --timeout 30 --format json --output "$report" || true
  if ! "$BIN/python" - "$report" <<'PY'
import json
import sys

try:
    with open(sys.argv[1]) as handle:
        report = json.load(handle)
except (OSError, ValueError):
    print("pip-audit: FAILED (it wrote no report; see its messages above)")
    sys.exit(1)
deps = report.get("dependencies", [])
vulnerable = [dep for dep in deps if dep.get("vulns")]
skipped = [dep for dep in deps if dep.get("skip_reason")]
audited = len(deps) - len(skipped)
for dep in vulnerable:
    for vuln in dep["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
        print(f"  {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
for dep in skipped:
    print(f"  not audited: {dep['name']}: {dep['skip_reason']}")
if vulnerable:
    print(f"pip-audit: FAILED ({len(vulnerable)} of {audited} audited packages have known vulnerabilities)")
    sys.exit(1)
if audited == 0:
    print("pip-audit: SKIPPED (the service audited no package)")
elif skipped:
    print(f"pip-audit: PASSED for {audited} packages; SKIPPED for {len(skipped)} it could not audit")
else:
    print(f"pip-audit: PASSED (no known vulnerability in {audited} packages)")
PY
  then
    status=1
  fi
fi

exit $status
