#!/usr/bin/env bash
# Setup for faultline-live tests and benchmark (idempotent; installs, never starts services).
# Debian packages:
# - redis-server, redis-sentinel: the Redis primary/replica/Sentinel failover tests.
# - postgresql: the primary/standby failover test (run as the user `faultline-pg`).
# - haproxy: the HTTP load-balancer health-check test.
# - iptables, nftables, iproute2: the partition-by-firewall test in a network namespace.
# - wrk: the peer of the load-generator benchmark.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || need+=(redis-sentinel)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v wrk >/dev/null 2>&1 || need+=(wrk)

if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -q
    # policy-rc.d keeps Debian's maintainer scripts from starting the services.
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        created_policy=1
    fi
    apt-get install -y -q --no-install-recommends "${need[@]}"
    if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
fi

# PostgreSQL refuses to run as root: the tests run it as this dedicated user.
if ! id faultline-pg >/dev/null 2>&1; then
    useradd --system --create-home --home-dir /var/lib/faultline-pg --shell /bin/sh faultline-pg
fi
