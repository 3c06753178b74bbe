#!/usr/bin/env bash
# Rehearses tools/gpu-check.sh on a machine without a GPU, as close to the GPU
# machines as one gets here: the Debian packages that the check brings as
# .debs are hidden from /usr (an overlay with whiteouts, in a mount namespace
# of this command alone), so the build must find them in the unpacked
# folder, as it must there. Needs root (unshare, mount) and, for CMake 4 as
# on the GPU image, `pip install cmake` in a venv on PATH.
# Usage: tools/gpu-check-rehearsal.sh DEBS_DIR [OUT_DIR]
#   (PYTHON=... for a Python with torch; runs GPU_CHECK_DEVICE=cpu GPU_CHECK_SIZE=tiny)
# Expect exit 1: every [cuda] case skips without a GPU, which the check calls no pass.
set -euo pipefail
cd "$(dirname "$0")/.."
debs=${1:?usage: tools/gpu-check-rehearsal.sh DEBS_DIR [OUT_DIR]}
out=${2:-build-gpu-rehearsal}
packages=(libdnnl-dev libdnnl2 ocl-icd-opencl-dev ocl-icd-libopencl1 opencl-c-headers
  opencl-clhpp-headers libsentencepiece-dev libsentencepiece0 libprotobuf-lite32
  nlohmann-json3-dev catch2 libbenchmark-dev libbenchmark1debian)
ov=$(mktemp -d)
trap 'rm -rf "$ov"' EXIT
mkdir -p "$ov/upper" "$ov/work"
# A character device 0:0 in the upper layer is overlayfs's whiteout: the file is gone.
for p in "${packages[@]}"; do dpkg -L "$p" 2>/dev/null || true; done | grep '^/usr/' |
  grep -v '^/usr/share/doc' | sort -u | while read -r f; do
  if [ -f "$f" ] || [ -L "$f" ]; then
    r=${f#/usr/}
    mkdir -p "$ov/upper/$(dirname "$r")"
    mknod "$ov/upper/$r" c 0 0
  fi
done
GPU_CHECK_DEVICE=cpu GPU_CHECK_SIZE=${GPU_CHECK_SIZE:-tiny} GPU_CHECK_ITERS=${GPU_CHECK_ITERS:-3} \
  unshare -m bash -c 'mount -t overlay overlay -o "lowerdir=/usr,upperdir=$1/upper,workdir=$1/work" /usr &&
    exec bash tools/gpu-check.sh "$2" "$3"' bash "$ov" "$debs" "$out"
