// Stands in for CUDA's <mma.h> in the CPU emulation.
#pragma once
#include "tests/cuda_emu/cuda_emu.h"
