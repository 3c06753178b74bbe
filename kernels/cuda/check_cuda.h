// CUDA / cuBLAS error checks: a failed call throws bte::Error(Device) naming
// the call, file and line. Host code only.
#pragma once

#include <cuda_runtime.h>

#include "base/check.h"

#define BTE_CUDA_CHECK(call)                                                              \
  do {                                                                                    \
    cudaError_t bte_err_ = (call);                                                        \
    if (bte_err_ != cudaSuccess)                                                          \
      BTE_FAIL(::bte::ErrorKind::Device, #call, " failed at ", __FILE__, ":", __LINE__, \
               ": ", cudaGetErrorString(bte_err_));                                       \
  } while (0)
