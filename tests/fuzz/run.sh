#!/usr/bin/env bash
# Runs the libFuzzer targets, each for SECONDS, seeded from tests/fuzz/seeds and the shared
# corpora (read in place), and fails when any target finds a crash, a leak or a timeout.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     (default: 60 s, every target)
#
# Needs clang 14 with libFuzzer (scripts/setup.sh installs clang and libclang-rt-14-dev).
# Builds into $FUZZ_BUILD_DIR (default build-fuzz). Each target's
# growing corpus is kept in $FUZZ_BUILD_DIR/corpus/TARGET; a crashing input lands in
# $FUZZ_BUILD_DIR/artifacts/TARGET/ and must become a file in tests/fuzz/regressions/TARGET.
# Two targets run at a time (FUZZ_JOBS).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(open cms x509 pop3 config)
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
corpora=$(cd .. && pwd)/shared/corpora

if [[ ! -d $corpora ]]; then
  if [[ ${CI:-} == true ]]; then
    echo "fuzz: the shared corpora are missing at $corpora" >&2
    exit 1
  fi
  echo "fuzz: note: no shared corpora at $corpora; seeding from tests/fuzz/seeds only" >&2
fi

# A build directory configured with SMIMEKIT_FUZZ=ON (scripts/test.sh's sanitizer build is one)
# is reused as it is; otherwise a fuzz-only build is configured.
if [[ -f $build/CMakeCache.txt ]]; then
  if ! grep -q '^SMIMEKIT_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "fuzz: $build was configured without -DSMIMEKIT_FUZZ=ON; remove it or set FUZZ_BUILD_DIR" >&2
    exit 2
  fi
else
  CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSMIMEKIT_FUZZ=ON -DSMIMEKIT_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

# Where each target finds its seeds in the shared corpora (directories are read recursively).
seeds_for() {
  case $1 in
    open) echo mime4j-testmsgs mime-is-broken gmime-testdata openssl-cms-smime \
               rfc4134-smime-examples rfc9216-lamps-samples notmuch-smime-samples ;;
    cms) echo openssl-cms-smime rfc4134-smime-examples ;;
    x509) echo botan-x509 boringssl-pki ;;
    *) ;;
  esac
}

run_one() {
  local target=$1 corpus="$build/corpus/$1" artifacts="$build/artifacts/$1/" log="$build/fuzz-$1.log"
  mkdir -p "$corpus" "$artifacts"
  local dirs=("$corpus")
  for d in "tests/fuzz/seeds/$target" "tests/fuzz/regressions/$target"; do
    [[ -d $d ]] && dirs+=("$d")
  done
  for c in $(seeds_for "$target"); do
    [[ -d $corpora/$c ]] && dirs+=("$corpora/$c")
  done
  # -rss_limit_mb and -timeout turn memory blow-ups and hangs into findings.
  if "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 \
       -max_len=1048576 -print_final_stats=1 -artifact_prefix="$artifacts" \
       "${dirs[@]}" >"$log" 2>&1; then
    local runs cov
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
    echo "fuzz: $target: ${seconds} s, $runs executions, coverage $cov edges, no finding"
  else
    echo "fuzz: $target: FINDING (see $log and $artifacts)" >&2
    tail -40 "$log" >&2
    return 1
  fi
}

status=0
pids=()
for target in "${targets[@]}"; do
  run_one "$target" & pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
