#!/usr/bin/env bash
# Image reading benchmark (see engine/image/benches/image_read.rs).
# Times reading a generated Windows image against the floor (hash + gunzip
# of each layer) on the same bytes, the warm-cache read, and peak memory
# (max RSS from /usr/bin/time) at two image sizes.
#   scripts/bench-image.sh            # 256 MiB and 1024 MiB
#   SIZES="1024 2048" scripts/bench-image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"256 1024"}
RUNS=${RUNS:-3}
BIN=$(cargo bench -p winspect-image --bench image_read --no-run 2>&1 \
  | grep -o 'target/release/deps/image_read-[0-9a-f]*' | head -1)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
for MIB in $SIZES; do
  DIR="$WORK/image-$MIB"
  WINSPECT_BENCH_MODE=generate WINSPECT_BENCH_DIR="$DIR" WINSPECT_BENCH_MIB="$MIB" "$BIN"
  for MODE in floor cold warm; do
    for _ in $(seq "$RUNS"); do
      /usr/bin/time -f "$MIB MiB $MODE: %e s wall, max RSS %M KiB" \
        env WINSPECT_BENCH_MODE="$MODE" WINSPECT_BENCH_DIR="$DIR" "$BIN" >/dev/null
    done
  done
  rm -rf "$DIR" "$DIR.cache"
done
# In-process medians of floor, cold and warm reads: `cargo bench -p winspect-image --bench image_read`.
