#!/usr/bin/env bash
# Image reading benchmark (see engine/image/benches/image_read.rs), made to
# give fair figures on a small machine shared with other jobs:
# - every measured read runs in its own process under /usr/bin/time (user +
#   sys CPU, max RSS; wall time, see run below), after one untimed warm-up
#   run of each mode;
# - floor, cold and warm runs are interleaved (floor, cold, warm, floor, ...)
#   so that a change of load hits all three alike; figures are medians;
# - the load average is printed before and after each size, and the CPU
#   ratio (user + sys) is given beside the wall ratio: it does not depend on
#   how many cores were free.
# The floor is the least a verified read does on the same bytes: sha256 of
# each layer blob and gunzip of it, in one thread. "floor+tar" also hashes
# the whole uncompressed tar once, as the read hashes every entry: on one
# core, no read can beat it.
#   scripts/bench-image.sh                   # 256 MiB and 1024 MiB, 7 runs
#   SIZES="1024 2048" RUNS=5 scripts/bench-image.sh
#   BENCH_BIN=/path/to/an/older/image_read scripts/bench-image.sh   # compare builds
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"256 1024"}
RUNS=${RUNS:-7}
BIN=${BENCH_BIN:-$(cargo bench -p winspect-image --bench image_read --no-run 2>&1 \
  | grep -o 'target/release/deps/image_read-[0-9a-f]*' | head -1)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "runs: $RUNS per mode, interleaved; medians"
# One run of a mode: appends "wall cpu rss_kib" to $WORK/$MIB.$MODE. The
# wall time is the one the benchmark prints, timed around the read (or the
# floor) itself: starting a process and `time` costs some 4 ms here, which
# would be a fifth of a warm read. Builds that do not print it (BENCH_BIN)
# are timed around the process, to the nanosecond. CPU time (user + sys)
# and max RSS are the whole process's, from time.
run() {
  local mib=$1 mode=$2 out=$3 start end
  start=$(date +%s%N)
  if ! /usr/bin/time -o "$WORK/time" -f "%U %S %M" \
    env WINSPECT_BENCH_MODE="$mode" WINSPECT_BENCH_DIR="$WORK/image-$mib" "$BIN" >"$WORK/out" 2>&1; then
    # An older build may lack floor-tar; anything else is fatal.
    [ "$mode" = floor-tar ] && return 0
    echo "mode $mode failed: $(cat "$WORK/out")" >&2 && exit 1
  fi
  end=$(date +%s%N)
  local wall
  wall=$(awk '/^elapsed /{print $2}' "$WORK/out")
  [ -n "$wall" ] || wall=$(awk -v ns=$((end - start)) 'BEGIN {printf "%.6f", ns / 1e9}')
  [ -n "$out" ] && awk -v w="$wall" '{printf "%.4f %.2f %d\n", w, $1 + $2, $3}' \
    "$WORK/time" >>"$out"
  return 0
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
column_median() { awk -v c="$2" '{print $c}' "$1" | median; }
printf '\n| image | files | load before / after | floor wall | cold wall | cold/floor wall | floor CPU | floor+tar CPU | cold CPU | cold/floor CPU | warm wall | warm/cold | max RSS floor / cold / warm |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for MIB in $SIZES; do
  DIR="$WORK/image-$MIB"
  WINSPECT_BENCH_MODE=generate WINSPECT_BENCH_DIR="$DIR" WINSPECT_BENCH_MIB="$MIB" "$BIN" 2>"$WORK/generated"
  before=$(load)
  for mode in floor floor-tar cold warm; do run "$MIB" "$mode" ""; done
  for _ in $(seq "$RUNS"); do
    for mode in floor floor-tar cold warm; do run "$MIB" "$mode" "$WORK/$MIB.$mode"; done
  done
  after=$(load)
  f_wall=$(column_median "$WORK/$MIB.floor" 1); c_wall=$(column_median "$WORK/$MIB.cold" 1)
  w_wall=$(column_median "$WORK/$MIB.warm" 1)
  f_cpu=$(column_median "$WORK/$MIB.floor" 2); c_cpu=$(column_median "$WORK/$MIB.cold" 2)
  t_cpu=$( [ -s "$WORK/$MIB.floor-tar" ] && column_median "$WORK/$MIB.floor-tar" 2 || echo 0)
  f_rss=$(column_median "$WORK/$MIB.floor" 3); c_rss=$(column_median "$WORK/$MIB.cold" 3)
  w_rss=$(column_median "$WORK/$MIB.warm" 3)
  files=$(grep -o '[0-9]* small files' "$WORK/generated" | cut -d' ' -f1)
  sizes=$(grep -o '[0-9]* MiB compressed, [0-9]* MiB of tar' "$WORK/generated" \
    | awk '{print $4 " MiB tar / " $1 " MiB gzip"}')
  awk -v s="$sizes" -v n="$files" -v lb="$before" -v la="$after" \
    -v fw="$f_wall" -v cw="$c_wall" -v ww="$w_wall" -v fc="$f_cpu" -v tc="$t_cpu" -v cc="$c_cpu" \
    -v fr="$f_rss" -v cr="$c_rss" -v wr="$w_rss" 'BEGIN {
      printf "| %s | %d | %s / %s | %.2f s | %.2f s | %.2fx | %.2f s | %.2f s | %.2f s | %.2fx | %.3f s | %.1f %% | %.1f / %.1f / %.1f MB |\n",
        s, n + 4, lb, la, fw, cw, cw / fw, fc, tc, cc, cc / fc, ww, 100 * ww / cw,
        fr * 1.024 / 1000, cr * 1.024 / 1000, wr * 1.024 / 1000 }'
  for mode in floor floor-tar cold warm; do
    [ -s "$WORK/$MIB.$mode" ] || continue
    echo "    $MIB MiB $mode runs (wall s, cpu s, rss KiB): $(tr '\n' ';' <"$WORK/$MIB.$mode")" >&2
  done
  rm -rf "$DIR" "$DIR.cache"
done
