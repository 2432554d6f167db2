#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the whole test suite (CI runs this):
#   1. install what is missing, build, and run every test;
#   2. build again with clang, AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer's
#      coverage (build-asan/), and run every test there: any sanitizer report fails the run;
#   3. run each fuzz target of that build for SMIMEKIT_FUZZ_SECONDS (default 60).
# SMIMEKIT_QUICK=1 stops after step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)

# ctest's summary line "100% tests passed, 0 tests failed out of N" -> N
count_of() { grep -Eo 'tests failed out of [0-9]+' "$1" | grep -Eo '[0-9]+$' | tail -1; }

scripts/build.sh
(cd build && ctest --output-on-failure -j "$jobs") 2>&1 | tee build/ctest.log
passed=$(count_of build/ctest.log)

if [[ ${SMIMEKIT_QUICK:-} != 1 ]]; then
  echo "== the same tests under AddressSanitizer and UndefinedBehaviorSanitizer"
  CC=clang CXX=clang++ BUILD_DIR=build-asan scripts/build.sh -DSMIMEKIT_SANITIZE=ON -DSMIMEKIT_FUZZ=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0
  (cd build-asan && ctest --output-on-failure -j "$jobs") 2>&1 | tee build-asan/ctest.log
  passed=$((passed + $(count_of build-asan/ctest.log)))
  unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

  echo "== fuzzing, each target for ${SMIMEKIT_FUZZ_SECONDS:-60} s"
  FUZZ_BUILD_DIR=build-asan tests/fuzz/run.sh "${SMIMEKIT_FUZZ_SECONDS:-60}" | tee build/fuzz.log
  passed=$((passed + $(grep -c 'no finding' build/fuzz.log)))
fi
echo "ci: $passed passed, 0 failed"
