#!/usr/bin/env bash
# Rebuilds the example plugins into dist/ (or the folder given as $1),
# reproducibly: the same sources and toolchain give the same bytes wherever
# the repository and the cargo home are. The host crate's tests compare the
# committed dist/ files with a fresh build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/dist}"
target_dir="${CARGO_TARGET_DIR:-$here/target}"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
plugins=(webconfig-audit banned-hashes)

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "the wasm32-unknown-unknown target is not installed: rustup target add wasm32-unknown-unknown" >&2
    exit 2
fi

# Source paths end up in panic messages; map them to fixed names.
export RUSTFLAGS="--remap-path-prefix=$here=/winspect/wasm-plugins --remap-path-prefix=$cargo_home=/cargo"
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS

args=()
for p in "${plugins[@]}"; do args+=(-p "$p"); done
cargo build --manifest-path "$here/Cargo.toml" --release --locked \
    --target wasm32-unknown-unknown --target-dir "$target_dir" "${args[@]}"

mkdir -p "$out"
for p in "${plugins[@]}"; do
    cp "$target_dir/wasm32-unknown-unknown/release/${p//-/_}.wasm" "$out/$p.wasm"
done
(cd "$out" && sha256sum "${plugins[@]/%/.wasm}" > SHA256SUMS)
rustc --version > "$out/TOOLCHAIN"
