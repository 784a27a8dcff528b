#!/bin/sh
# Runs every fuzz target for a number of executions (default 10M each), one after the other, and
# prints libFuzzer's final line per target. Needs cargo-fuzz (`cargo install cargo-fuzz`); the
# stable toolchain does with RUSTC_BOOTSTRAP=1. No sanitizer (`-s none`): the code is safe Rust,
# panics, hangs (> 5 s) and memory over 2 GB are what the targets look for.
set -e
cd "$(dirname "$0")"
runs=${RUNS:-10000000}
targets=${TARGETS:-"documents csv jsonl arrow expr"}
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O -s none
for t in $targets; do
    mkdir -p "corpus/$t"
    start=$(date +%s)
    cargo fuzz run -O -s none "$t" "corpus/$t" -- -runs="$runs" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
        -print_final_stats=1 >"/tmp/fuzz-$t.log" 2>&1 || { echo "$t: FAILED (see /tmp/fuzz-$t.log)"; exit 1; }
    end=$(date +%s)
    echo "$t: $(grep -E '^Done' "/tmp/fuzz-$t.log") ($((end - start)) s; $(grep -E 'stat::number_of_executed_units' "/tmp/fuzz-$t.log"))"
done
