#!/usr/bin/env bash
# scripts/benchratio.sh — the sanitiser's speed as a ratio of the baseline's.
#
# Usage: scripts/benchratio.sh [ROUNDS]   (default 5)
#
# Issue #3's target is that sanitising runs at 0.5x or more of a baseline
# that only parses and re-serialises the same message with go-message
# (BenchmarkSanitize and BenchmarkBaseline in sanitize/bench_test.go). On a
# shared machine both figures swing with the neighbours' load, so the
# ratio is taken pair by pair: the test binary is built once, and in each
# round every message is benchmarked with the sanitiser and then at once
# with the baseline (the order swapped from round to round), comparing
# their cpu-MB/s (process CPU time, not wall time). It prints, per
# message, the median ratio of the rounds and its range, and beside it
# the same ratio for BenchmarkHashFloor, which only computes the SHA-256
# digests the report carries: no sanitiser keeping that contract can do
# better than the floor's ratio, which depends on the processor (SHA
# instructions or not) far more than the sanitiser's own work does.
set -euo pipefail

rounds="${1:-5}"
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/sanitize.test" ./sanitize
msgs=(plain-2KiB alternative-30KiB pdf-500KiB attachment-25MiB)

cpu() { # benchmark message -> cpu-MB/s
  (cd sanitize && "$tmp/sanitize.test" -test.run='^$' -test.bench="^$1\$/^$2\$" -test.benchtime=1s) |
    awk '/cpu-MB\/s/ { for (i = 1; i < NF; i++) if ($(i+1) == "cpu-MB/s") print $i }'
}

for ((r = 1; r <= rounds; r++)); do
  for m in "${msgs[@]}"; do
    if ((r % 2)); then
      s="$(cpu BenchmarkSanitize "$m")"
      b="$(cpu BenchmarkBaseline "$m")"
      f="$(cpu BenchmarkHashFloor "$m")"
    else
      f="$(cpu BenchmarkHashFloor "$m")"
      b="$(cpu BenchmarkBaseline "$m")"
      s="$(cpu BenchmarkSanitize "$m")"
    fi
    echo "$m $s $b $f" >>"$tmp/pairs"
    printf 'round %d %-18s sanitise %8.1f  baseline %8.1f  hash floor %8.1f cpu-MB/s  ratio %.2f\n' "$r" "$m" "$s" "$b" "$f" "$(awk -v s="$s" -v b="$b" 'BEGIN { print s / b }')" >&2
  done
done

median() { # reads numbers, prints "median low high"
  sort -g | awk '{ r[NR] = $1 } END {
    printf "%.2f %.2f %.2f\n", (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2, r[1], r[NR] }'
}
# The processor decides the hash floor: say which one measured.
cpu_model="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
sha="no SHA instructions"
grep -qwE "sha_ni|sha2" /proc/cpuinfo 2>/dev/null && sha="SHA instructions (sha_ni, or sha2 on ARM)"
echo "cpu: ${cpu_model:-unknown}, $sha; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "message            ratio (median of $rounds; range)  target 0.5  hash floor's ratio (range)"
for m in "${msgs[@]}"; do
  read -r med lo hi < <(awk -v m="$m" '$1 == m { print $2 / $3 }' "$tmp/pairs" | median)
  read -r fmed flo fhi < <(awk -v m="$m" '$1 == m { print $4 / $3 }' "$tmp/pairs" | median)
  printf '%-18s %s (%s-%s)              %-6s      %s (%s-%s)\n' "$m" "$med" "$lo" "$hi" \
    "$(awk -v x="$med" 'BEGIN { print (x >= 0.5 ? "met" : "missed") }')" "$fmed" "$flo" "$fhi"
done
