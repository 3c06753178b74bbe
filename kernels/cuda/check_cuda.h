// CUDA / cuBLASLt error checks: a failed call throws bte::Error(Device)
// naming the call, file and line (OutOfMemory for an allocation that does
// not fit). Host code only.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstddef>

#include "base/check.h"
#include "kernels/cuda/cublas_api.h"

#define BTE_CUDA_CHECK(call)                                                                 \
  do {                                                                                       \
    cudaError_t bte_err_ = (call);                                                           \
    if (bte_err_ != cudaSuccess) {                                                           \
      cudaGetLastError(); /* clear a non-sticky error so the next call starts clean */       \
      BTE_FAIL(bte_err_ == cudaErrorMemoryAllocation ? ::bte::ErrorKind::OutOfMemory         \
                                                     : ::bte::ErrorKind::Device,             \
               #call, " failed at ", __FILE__, ":", __LINE__, ": ", cudaGetErrorString(bte_err_)); \
    }                                                                                        \
  } while (0)

#define BTE_CUBLAS_CHECK(call)                                                               \
  do {                                                                                       \
    cublasStatus_t bte_st_ = (call);                                                         \
    if (bte_st_ != CUBLAS_STATUS_SUCCESS)                                                    \
      BTE_FAIL(bte_st_ == CUBLAS_STATUS_ALLOC_FAILED ? ::bte::ErrorKind::OutOfMemory         \
                                                     : ::bte::ErrorKind::Device,             \
               #call, " failed at ", __FILE__, ":", __LINE__, ": ",                           \
               ::bte::cuda::cublas_api().LtGetStatusString(bte_st_));                                            \
  } while (0)

namespace bte::cuda {

// cudaMalloc that says how much it wanted and how much the GPU has free.
void* device_allocate(size_t bytes, const char* what);

}  // namespace bte::cuda
