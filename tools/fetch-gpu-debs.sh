#!/usr/bin/env bash
# Fetches (never installs) the Debian 12 packages tools/gpu-check.sh needs on
# a GPU machine that reaches no package registry: the build dependencies
# that machine lacks and their runtime libraries. Run here, on a Debian 12
# machine with apt; the folder is git-ignored and travels with the check.
# Usage: tools/fetch-gpu-debs.sh [DIR]   (default: debs/)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-debs}
packages=(
  libdnnl-dev libdnnl2                       # oneDNN (the CPU GEMMs; the engine links it)
  ocl-icd-opencl-dev ocl-icd-libopencl1 opencl-c-headers opencl-clhpp-headers  # dnnl-config.cmake asks for OpenCL
  libsentencepiece-dev libsentencepiece0 libprotobuf-lite32   # the tokenizer
  nlohmann-json3-dev                         # headers
  libicu-dev libicu72                        # WordPiece's Unicode (tokenizer/)
  catch2                                     # the tests
  libbenchmark-dev libbenchmark1debian       # bench/ (bench_kernels_cuda)
)
mkdir -p "$dir"
cd "$dir"
rm -f ./*.deb
apt-get download "${packages[@]}"
ls -l ./*.deb
du -sh .
