#!/usr/bin/env bash
# Installs bte's build and test dependencies from Debian 12 packages, only
# those missing (so a prepared machine pays nothing). Needs root (or sudo).
# The CUDA toolkit is not a Debian package here: when nvcc is present (PATH
# or /usr/local/cuda) the CUDA backend is built, otherwise it is left out.
set -euo pipefail
packages=(
  cmake make g++ pkg-config
  libdnnl-dev              # oneDNN: CPU GEMMs
  ocl-icd-opencl-dev opencl-c-headers   # Debian's oneDNN CMake config asks for OpenCL (its GPU runtime)
  libsentencepiece-dev sentencepiece   # tokenizer library and spm_train
  libicu-dev               # WordPiece's Unicode (NFD, categories, lowercase)
  nlohmann-json3-dev       # .bte / safetensors / config.json headers
  libcpp-httplib-dev       # bte serve: the HTTP server
  catch2                   # tests
  libbenchmark-dev         # bench/
  python3-torch python3-sentencepiece python3-numpy   # the test oracle
  python3-venv python3-pip python3-setuptools python3-wheel python3-pytest   # python/: its install and tests
  clang libclang-rt-14-dev libomp-14-dev   # the fuzz build: libFuzzer, sanitizer runtimes, OpenMP
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
