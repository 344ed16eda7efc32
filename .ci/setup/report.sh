#!/usr/bin/env bash
# Setup for faultline-report tests (idempotent).
# - Debian `chromium`: the headless browser that opens report.html (tests/browser.rs).
# - Debian `nodejs` + `npm`, and npm's `playwright-core` installed into
#   target/report-node (never committed): drives that chromium via `executablePath`.
# - PyPI `junitparser`: a real JUnit consumer that reads junit.xml, and `lxml`, which
#   validates it against tests/junit/junit.xsd (tests/ci_outputs.rs).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/../.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-pip)
# Fonts so that text in the screenshot is drawn (chromium pulls one, make sure).
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)

if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need[@]}"
fi

node_dir=target/report-node
if [ ! -f "$node_dir/node_modules/playwright-core/package.json" ]; then
    mkdir -p "$node_dir"
    # playwright-core downloads no browser: it drives the Debian chromium above.
    npm install --prefix "$node_dir" --no-audit --no-fund --loglevel=error playwright-core@1
fi

if ! python3 -c 'import junitparser, lxml' >/dev/null 2>&1; then
    python3 -m pip install -q junitparser lxml \
        || python3 -m pip install -q --break-system-packages junitparser lxml
fi
