// Stands in for CUDA's <cuda_bf16.h> in the CPU emulation.
#pragma once
#include "tests/cuda_emu/cuda_emu.h"
