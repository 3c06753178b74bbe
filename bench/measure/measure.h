// What a benchmark measures beside the model: the ceiling oneDNN's matmul
// reaches on the model's own GEMM shapes, the machine's copy bandwidth (the
// small batch's memory floor), and a line naming the machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "models/model_config.h"

namespace bte::bench {

// Timing helpers every measurement here and in `bte bench` shares.
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0);
double median(std::vector<double> v);

struct GemmCeiling {
  double gflops = 0;
  std::string shapes;  // "19x2304x768, 19x768x768, ..." (M x N x K)
};

// oneDNN's matmul alone on the layer's four GEMM shapes at M rows, with as
// many weight copies as layers (12+ layers do not fit in cache, so weights
// come from memory as in the model); median of max(iters, 3) runs per shape.
GemmCeiling onednn_gemm_ceiling(const ModelConfig& config, int64_t M, int iters);

// A large memcpy split over the CPU threads: bytes per second (GB/s), best of
// five. 512 MiB per side is far beyond any cache: DRAM bandwidth.
double copy_bandwidth_gbps();

// "AMD EPYC ... [avx2 fma ...]; oneDNN 2.6.3, ISA ...; 2 threads"
std::string machine_line();

}  // namespace bte::bench
