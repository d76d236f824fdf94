#!/usr/bin/env bash
# Installs every Debian 12 package Rapport needs to build, test and benchmark. Idempotent and
# quiet when everything is already there. Run as root (or with sudo available).
set -euo pipefail

packages=(
    # toolchain
    g++ cmake ninja-build pkg-config make git
    clang libclang-rt-14-dev            # fuzz targets (libFuzzer)
    # libraries
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libyaml-cpp-dev                     # playbooks and config
    libvectorscan-dev                   # the multi-pattern matcher
    libutf8proc-dev                     # Unicode case folding, word and grapheme boundaries
    libhowardhinnant-date-dev tzdata    # time zones for `hours` and insight schedules
    libfmt-dev libspdlog-dev libcli11-dev
    libsqlite3-dev libssl-dev libsystemd-dev
    libjemalloc-dev                     # rapportd's allocator
    # tests and benchmarks
    libgtest-dev libgmock-dev libbenchmark-dev
    libre2-dev                          # matcher comparison in bench/
    python3 python3-jsonschema python3-yaml   # checks the JSON Schemas against the examples
    time                                # /usr/bin/time -v for peak memory in bench/
    systemd                             # systemd-analyze checks the unit's hardening
    curl openssl                        # the demo signs and posts its webhooks
)

# Node.js runs test peers from npm (tests/peers/*): Debian's nodejs and npm, unless a node and
# npm are already on the PATH (installing Debian's npm over another Node.js would conflict).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
