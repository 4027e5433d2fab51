#!/usr/bin/env bash
# Runs every fuzz target for a time budget, then the differential fuzz
# against `tokenizers` and `tiktoken`. Not part of CI (see README.md here).
#
#   rust/fuzz/run.sh                 # 10 minutes per cargo-fuzz target, 10 for the differential fuzz
#   rust/fuzz/run.sh 3600            # an hour each
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Crashing inputs land in rust/fuzz/artifacts/<target>/; each one found so
# far is a regression test in rust/tests/fuzz_regressions.rs.
set -euo pipefail
budget="${1:-600}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
jobs="${FUZZ_JOBS:-$(nproc)}"

# Seeds: the shipped tokenizer.json files and small component documents.
mkdir -p corpus/tokenizer_json corpus/encode corpus/train
cp "$root"/data/vocab/bert-base-uncased/tokenizer.json corpus/tokenizer_json/bert.json
for f in "$root"/../shared/data/vocab/*/tokenizer.json; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 3000000 ] && cp "$f" "corpus/tokenizer_json/$(basename "$(dirname "$f")").json"
done
printf '\x01\x02\x00\x00\x00Hello, world! the thing\n' > corpus/encode/hello
printf '\x00\x10\x00\x01low lower lowest newer wider\nthe the the\n' > corpus/train/words
head -c 4000 "$root/data/sample/kjv-genesis.txt" > corpus/train/genesis

status=0
for target in tokenizer_json encode train; do
    echo "== $target: ${budget}s on $jobs jobs"
    cargo +nightly fuzz run "$target" -- -max_total_time="$budget" -jobs="$jobs" -workers="$jobs" \
        -max_len=65536 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 || status=1
    grep -h -E "^Done [0-9]+ runs|stat::number_of_executed_units|cov: [0-9]+ ft" fuzz-*.log 2>/dev/null | tail -4 || true
done

echo "== differential: fasttok vs tokenizers and tiktoken, ${budget}s"
cd "$root"
FASTTOK_FUZZ_SECONDS="$budget" python -m pytest tests/fuzz_differential.py -q -s -p no:cacheprovider || status=1
echo "== done: $( [ $status = 0 ] && echo 'nothing found' || echo 'FOUND SOMETHING: see rust/fuzz/artifacts and the output above')"
exit $status
