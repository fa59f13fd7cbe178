#!/usr/bin/env bash
# Install prometheus and promtool (and, with --with-alertmanager, amtool) from
# Debian's packages into a cache folder, without starting any daemon.
#
# Usage: install-prometheus.sh [--with-alertmanager] [CACHE_DIR]
#
# CACHE_DIR defaults to ${XDG_CACHE_HOME:-~/.cache}/socialitica/prometheus.
# The script prints the folder that contains the binaries on stdout (one line),
# and progress and errors on stderr, so callers can run
#     PATH="$(deploy/setup/install-prometheus.sh):$PATH"
#
# Why not `apt-get install`: the Debian package's postinst enables and starts
# the prometheus service, which a CI run or a developer machine does not want.
# `apt-get download` plus `dpkg -x` unpacks the files only. The binaries are
# statically linked Go programs apart from libc, so the packages' other
# dependencies (JavaScript for the old web console) are not needed.
#
# Debian 12 serves prometheus 2.42.0 and prometheus-alertmanager 0.25.0.
# A second run with the binaries already in place takes well under a second
# and touches no network.
set -euo pipefail

with_alertmanager=0
cache_dir=""
for argument in "$@"; do
    case "$argument" in
        --with-alertmanager) with_alertmanager=1 ;;
        -h|--help)
            sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "install-prometheus.sh: unknown option '$argument' (expected --with-alertmanager or a folder)" >&2
            exit 2
            ;;
        *) cache_dir="$argument" ;;
    esac
done

if [[ -z "$cache_dir" ]]; then
    cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/socialitica/prometheus"
fi
bin_dir="$cache_dir/usr/bin"

packages=(prometheus)
wanted_binaries=(prometheus promtool)
if [[ "$with_alertmanager" == 1 ]]; then
    packages+=(prometheus-alertmanager)
    wanted_binaries+=(prometheus-alertmanager amtool)
fi

binaries_present() {
    local name
    for name in "${wanted_binaries[@]}"; do
        [[ -x "$bin_dir/$name" ]] || return 1
    done
    "$bin_dir/promtool" --version >/dev/null 2>&1
}

# 1. Fast path: everything is already unpacked and runs.
if binaries_present; then
    echo "$bin_dir"
    exit 0
fi

for tool in apt-get dpkg; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-prometheus.sh: '$tool' not found; this script needs a Debian or Ubuntu machine" >&2
        exit 1
    fi
done

mkdir -p "$cache_dir"
download_dir="$(mktemp -d "$cache_dir/.download.XXXXXX")"
trap 'rm -rf "$download_dir"' EXIT

# 2. Download the .deb files. On a fresh machine apt has no package lists yet,
# so a root user gets one `apt-get update` and a second try.
download() {
    (cd "$download_dir" && apt-get download "${packages[@]}") >"$download_dir/apt.log" 2>&1
}

if ! download; then
    if [[ "$(id -u)" == 0 ]]; then
        echo "install-prometheus.sh: apt-get download failed; running apt-get update and retrying" >&2
        if ! apt-get update >"$download_dir/update.log" 2>&1; then
            echo "install-prometheus.sh: apt-get update failed:" >&2
            sed 's/^/    /' "$download_dir/update.log" >&2
            exit 1
        fi
    fi
    if ! download; then
        echo "install-prometheus.sh: apt-get download ${packages[*]} failed:" >&2
        sed 's/^/    /' "$download_dir/apt.log" >&2
        echo "Check that the machine reaches a Debian mirror and that 'apt-get update' has run (as root)." >&2
        exit 1
    fi
fi

# 3. Unpack the files only; no maintainer script runs.
for deb in "$download_dir"/*.deb; do
    dpkg -x "$deb" "$cache_dir"
    echo "install-prometheus.sh: unpacked $(basename "$deb")" >&2
done

if ! binaries_present; then
    echo "install-prometheus.sh: unpacked the packages but $bin_dir lacks one of: ${wanted_binaries[*]}" >&2
    exit 1
fi

"$bin_dir/prometheus" --version 2>&1 | head -n 1 >&2
echo "$bin_dir"
