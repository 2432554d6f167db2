#!/usr/bin/env bash
# Installs what smimekit needs to build and test on Debian 12, only when it is missing.
# Safe to run again: it asks apt only for packages that are not installed yet.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake make pkg-config ca-certificates
  # libraries the code links against
  libssl-dev libgmime-3.0-dev libbotan-2-dev libglib2.0-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libgsasl-dev libtomlplusplus-dev
  # tests
  googletest libgtest-dev libgmock-dev libbenchmark-dev openssl python3
  # the demo and the POP3 tests run a private Dovecot on loopback
  dovecot-core dovecot-pop3d
  # smimekit audit --format svg runs Graphviz's dot
  graphviz
  # fuzzing (tests/fuzz/run.sh): clang 14 with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
