#!/usr/bin/env bash
# Setup for faultline-proxy tests and benchmark (idempotent).
# - toxiproxy-python (PyPI): the real Toxiproxy client the API compatibility test drives.
# - haproxy (Debian): the peer the proxy benchmark compares against.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import toxiproxy' >/dev/null 2>&1; then
    "$PYTHON" -m pip install -q toxiproxy-python==0.1.1
fi

if ! command -v haproxy >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q haproxy
fi
