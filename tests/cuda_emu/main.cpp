// bte_cuda_emu_tests: the CUDA kernels' source run on the CPU (cuda_emu.h).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
