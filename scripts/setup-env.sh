# Sourced by the scripts: creates .venv with the Python peers the tests use (pymavlink),
# once, and puts it on PATH. Idempotent and quiet when everything is there.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_venv="$_root/.venv"
_reqs="$_root/scripts/requirements-test.txt"
if [ ! -x "$_venv/bin/python" ] || ! cmp -s "$_reqs" "$_venv/.requirements"; then
  echo "setting up $_venv (Python test peers) ..." >&2
  python3 -m venv "$_venv"
  "$_venv/bin/pip" install --quiet --disable-pip-version-check -r "$_reqs"
  cp "$_reqs" "$_venv/.requirements"
fi
export PATH="$_venv/bin:$PATH"
export QLY_PYTHON="$_venv/bin/python"
