// cuBLAS and cuBLASLt, loaded on first use (dlopen) instead of linked:
// libcublasLt is ~540 MB, and merely linking both added ~140-150 MiB to the
// peak RSS of every CPU-only `bte classify` (measured, XLM-R base: 513 ->
// 372 MiB). Only a CUDA backend (or a CUDA test) ever loads them.
//
//   const CublasApi& api = cublas_api();   // throws Error(Device) if missing
//   BTE_CUBLAS_CHECK(api.LtCreate(&handle));
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>

namespace bte::cuda {

struct CublasApi {
  // cuBLASLt
  decltype(&cublasLtCreate) LtCreate;
  decltype(&cublasLtDestroy) LtDestroy;
  decltype(&cublasLtGetStatusString) LtGetStatusString;
  decltype(&cublasLtMatmul) LtMatmul;
  decltype(&cublasLtMatmulDescCreate) LtMatmulDescCreate;
  decltype(&cublasLtMatmulDescDestroy) LtMatmulDescDestroy;
  decltype(&cublasLtMatmulDescSetAttribute) LtMatmulDescSetAttribute;
  decltype(&cublasLtMatrixLayoutCreate) LtMatrixLayoutCreate;
  decltype(&cublasLtMatrixLayoutDestroy) LtMatrixLayoutDestroy;
  decltype(&cublasLtMatmulPreferenceCreate) LtMatmulPreferenceCreate;
  decltype(&cublasLtMatmulPreferenceDestroy) LtMatmulPreferenceDestroy;
  decltype(&cublasLtMatmulPreferenceSetAttribute) LtMatmulPreferenceSetAttribute;
  decltype(&cublasLtMatmulAlgoGetHeuristic) LtMatmulAlgoGetHeuristic;
  // cuBLAS (the slow path's strided-batched SGEMMs)
  decltype(&cublasCreate_v2) Create;
  decltype(&cublasDestroy_v2) Destroy;
  decltype(&cublasSetStream_v2) SetStream;
  decltype(&cublasSetMathMode) SetMathMode;
  decltype(&cublasSgemmStridedBatched) SgemmStridedBatched;
  decltype(&cublasGetStatusString) GetStatusString;
};

// Loads both libraries once (thread-safe); throws Error(Device) naming the
// library and dlerror() when one cannot be loaded or lacks a symbol.
const CublasApi& cublas_api();

}  // namespace bte::cuda
