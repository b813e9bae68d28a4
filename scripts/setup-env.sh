# Sourced by the scripts: creates .venv with the Python peers the tests use (pymavlink,
# onnxruntime, onnx), once, and puts it on PATH; exports ORT_DYLIB_PATH, the ONNX Runtime
# shared library that the PyPI wheel onnxruntime ships (the companion's detector loads it); installs GDAL's command-line tools (ogrinfo, to check our
# GeoJSON and KML), Chromium (headless, for the review page tests), the Noto CJK fonts and
# poppler-utils (inspection record PDFs) from Debian when they are missing, and PostgreSQL with
# PostGIS (the store's tests). Idempotent and quiet when everything is there.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_venv="$_root/.venv"
_reqs="$_root/scripts/requirements-test.txt"
if [ ! -x "$_venv/bin/python" ] || ! cmp -s "$_reqs" "$_venv/.requirements"; then
  echo "setting up $_venv (Python test peers) ..." >&2
  python3 -m venv "$_venv"
  "$_venv/bin/pip" install --quiet --disable-pip-version-check -r "$_reqs"
  cp "$_reqs" "$_venv/.requirements"
fi
if ! command -v ogrinfo >/dev/null 2>&1; then
  echo "installing gdal-bin (ogrinfo) ..." >&2
  _sudo=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then _sudo="sudo"; fi
  $_sudo apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq gdal-bin >/dev/null \
    || echo "warning: could not install gdal-bin; the ogrinfo checks will fail under CI" >&2
fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (headless review page tests) ..." >&2
  _sudo=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then _sudo="sudo"; fi
  $_sudo apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq chromium >/dev/null \
    || echo "warning: could not install chromium; the review page tests will fail under CI" >&2
fi
# The review pages and inspection records are in Chinese: Chromium needs a CJK font to draw
# them (else tofu boxes), and the record tests render the PDFs with poppler (pdftoppm,
# pdftotext).
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  echo "installing fonts-noto-cjk (Chinese in the headless page and record tests) ..." >&2
  _sudo=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then _sudo="sudo"; fi
  $_sudo apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq fonts-noto-cjk >/dev/null \
    || echo "warning: could not install fonts-noto-cjk; Chinese pages will render as boxes" >&2
fi
if ! command -v pdftoppm >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  echo "installing poppler-utils (pdftoppm, pdftotext: the inspection record tests) ..." >&2
  _sudo=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then _sudo="sudo"; fi
  $_sudo apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq poppler-utils >/dev/null \
    || echo "warning: could not install poppler-utils; the inspection record tests will fail under CI" >&2
fi
# PostgreSQL with PostGIS for the store's tests (store/tests: each starts its own throwaway
# cluster in a temporary folder with initdb and pg_ctl, on a unix socket, and stops it).
if ! ls /usr/lib/postgresql/*/lib/postgis-3.so >/dev/null 2>&1; then
  echo "installing postgresql and postgis (store tests) ..." >&2
  _sudo=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then _sudo="sudo"; fi
  _pgv="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
  if [ -z "$_pgv" ]; then
    _pgv="$(apt-cache search --names-only '^postgresql-[0-9]+-postgis-3$' 2>/dev/null | sed -E 's/^postgresql-([0-9]+)-.*/\1/' | sort -n | tail -1)"
  fi
  $_sudo apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq "postgresql-$_pgv" "postgresql-$_pgv-postgis-3" >/dev/null \
    || echo "warning: could not install postgresql-$_pgv-postgis-3; the store's PostgreSQL tests will fail under CI" >&2
fi
export PATH="$_venv/bin:$PATH"
export QLY_PYTHON="$_venv/bin/python"
# The companion's detector loads ONNX Runtime at run time (ort's load-dynamic); the wheel's
# library is the one it was built and tested against. Ask the venv's own python where it is.
_ort_lib="$("$_venv/bin/python" -c 'import glob, os, onnxruntime; d = os.path.join(os.path.dirname(onnxruntime.__file__), "capi"); libs = sorted(glob.glob(os.path.join(d, "libonnxruntime.so.*"))); print(libs[-1] if libs else "")' 2>/dev/null || true)"
if [ -n "$_ort_lib" ] && [ -f "$_ort_lib" ]; then
  export ORT_DYLIB_PATH="$_ort_lib"
else
  echo "warning: onnxruntime's libonnxruntime.so not found in $_venv; the detector tests will fail under CI" >&2
fi
