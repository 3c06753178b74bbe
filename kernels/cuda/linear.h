// GPU Linear layer through cuBLASLt: y[M, N] = x[M, K] · W[N, K]ᵀ (+ b),
// row-major, W as stored in the .bte file ([out, in]). The weights are
// uploaded once, in the input element type; accumulation is fp32 (no TF32:
// fp32 results match the CPU within 1e-5). The algorithm is chosen once per
// row count M by cuBLASLt's heuristic and cached.
//
//   cuda::Linear qkv(lt, W, b, 3 * d, d, DType::F16, DType::F16, /*bias=*/true);
//   qkv.forward(x_f16, M, y_f16, workspace, ws_bytes, stream);
//
// cuBLASLt is column-major: row-major y = x Wᵀ is column-major
// yᵀ[N, M] = W[N, K] · xᵀ[K, M] with A = W (transposed, lda = K),
// B = x (ldb = K), D = y (ldd = N), and the bias broadcast over D's columns.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/dtype.h"

namespace bte::cuda {

// One cuBLASLt handle (thread-safe; the workspace is passed per call).
class LtHandle {
 public:
  LtHandle();
  ~LtHandle();
  LtHandle(const LtHandle&) = delete;
  LtHandle& operator=(const LtHandle&) = delete;
  cublasLtHandle_t get() const { return h_; }

 private:
  cublasLtHandle_t h_ = nullptr;
};

class Linear {
 public:
  // W: [N, K] fp32 host, bias: [N] fp32 host or null. `in` is the type of x
  // and of the uploaded W; `out` the type of y (fp32 or `in`). The bias is
  // added in cuBLASLt's epilogue when it offers one for these types, else
  // by our own kernel right after (describe() says which).
  Linear(const LtHandle& lt, const float* W, const float* bias, int N, int K, DType in,
         DType out);
  ~Linear();
  Linear(const Linear&) = delete;
  Linear& operator=(const Linear&) = delete;

  // x: [M, K] device, y: [M, N] device with row stride ldy (0: N);
  // workspace: device scratch of ws_bytes (cuBLASLt may use up to that).
  // Thread-safe: the plan cache (per M, ldy and pointer alignment) is
  // locked; the work is queued on `stream`.
  void forward(const void* x, int64_t M, void* y, void* workspace, size_t ws_bytes,
               cudaStream_t stream, int64_t ldy = 0) const;

  int N() const { return N_; }
  int K() const { return K_; }
  DType in_type() const { return in_; }
  DType out_type() const { return out_; }
  std::string describe() const;

  static constexpr size_t kWorkspaceBytes = size_t(32) << 20;  // cuBLASLt's advice for Hopper

 private:
  struct Plan;
  struct PlanKey {
    int64_t M, ldy;
    size_t ws_bytes;
    uint32_t align_x, align_y;  // byte alignment of the pointers (cuBLASLt's heuristic assumes 256)
    bool operator<(const PlanKey& o) const;
  };
  std::shared_ptr<const Plan> plan(const PlanKey& key) const;

  cublasLtHandle_t lt_;
  int N_, K_;
  DType in_, out_;
  void* W_ = nullptr;       // [N, K] in `in_`
  void* bias_ = nullptr;    // [N] in `out_` (cuBLASLt wants the bias in D's type), or null
  mutable std::mutex mu_;
  mutable std::map<PlanKey, std::shared_ptr<const Plan>> plans_;  // capped: kMaxPlans
};

}  // namespace bte::cuda
