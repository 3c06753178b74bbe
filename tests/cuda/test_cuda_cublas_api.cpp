// cuBLAS / cuBLASLt are loaded on first use (kernels/cuda/cublas_api.h), not
// linked. Loading needs no GPU, so this case runs on every CUDA build: it
// catches a wrong soname or a missing symbol before a GPU machine would.
#include <catch2/catch.hpp>

#include <string>

#include "kernels/cuda/cublas_api.h"

TEST_CASE("cuBLAS and cuBLASLt load on demand and answer a call", "[cuda-build]") {
  const bte::cuda::CublasApi& api = bte::cuda::cublas_api();
  CHECK(api.LtMatmul != nullptr);
  CHECK(api.SgemmStridedBatched != nullptr);
  // Real calls into each library that need no device: the status texts
  // (their wording is the library's; only that they differ is ours to check).
  const std::string lt_ok = api.LtGetStatusString(CUBLAS_STATUS_SUCCESS);
  const std::string lt_bad = api.LtGetStatusString(CUBLAS_STATUS_NOT_INITIALIZED);
  const std::string blas_bad = api.GetStatusString(CUBLAS_STATUS_NOT_INITIALIZED);
  CHECK(!lt_ok.empty());
  CHECK(!blas_bad.empty());
  CHECK(lt_ok != lt_bad);
  CHECK(&bte::cuda::cublas_api() == &api);  // loaded once
}
