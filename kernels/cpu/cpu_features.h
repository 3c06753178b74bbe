// What this CPU can do, read once at run time: our hot kernels pick their
// AVX2 or AVX-512 variant from it (the build is portable, no -march=native).
#pragma once

#include <string>

namespace bte::cpu {

struct CpuFeatures {
  bool avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512_bf16 = false, amx_bf16 = false;
  bool avx512_vnni = false, avx_vnni = false, amx_int8 = false;  // int8 dot products (reported; oneDNN decides)
  std::string brand;  // e.g. "AMD EPYC 9R14"
};

const CpuFeatures& cpu_features();
// "avx2 fma avx512f ..." for banners and benchmark reports.
std::string cpu_flags_string();
// oneDNN's version and the ISA its kernels dispatched to (e.g. "oneDNN 2.7.3, avx512_core_bf16").
std::string onednn_summary();

}  // namespace bte::cpu
