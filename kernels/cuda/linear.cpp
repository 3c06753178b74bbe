#include "kernels/cuda/linear.h"

#include <tuple>

#include "kernels/cuda/check_cuda.h"
#include "kernels/cuda/cublas_api.h"
#include "kernels/cuda/elementwise.h"

namespace bte::cuda {
namespace {

constexpr size_t kMaxPlans = 1024;  // distinct row counts cached (packed batches vary M)

cudaDataType_t lt_type(DType t) {
  switch (t) {
    case DType::F32: return CUDA_R_32F;
    case DType::F16: return CUDA_R_16F;
    case DType::BF16: return CUDA_R_16BF;
    case DType::I8: break;  // the engine refuses int8 on CUDA (engine.cpp check_device)
  }
  BTE_FAIL(ErrorKind::Internal, "cuda::Linear: no cuBLASLt type for ", dtype_name(t));
}

// fp32 host data -> device memory of `type`, via a temporary fp32 copy.
void* upload_as(const float* host, int64_t n, DType type, const char* what) {
  void* dst = device_allocate(size_t(n) * dtype_size(type), what);
  try {
    if (type == DType::F32) {
      BTE_CUDA_CHECK(cudaMemcpy(dst, host, size_t(n) * 4, cudaMemcpyHostToDevice));
      return dst;
    }
    void* tmp = device_allocate(size_t(n) * 4, what);
    try {
      BTE_CUDA_CHECK(cudaMemcpy(tmp, host, size_t(n) * 4, cudaMemcpyHostToDevice));
      convert(tmp, DType::F32, dst, type, n, nullptr);
      BTE_CUDA_CHECK(cudaDeviceSynchronize());
    } catch (...) {
      cudaFree(tmp);
      throw;
    }
    cudaFree(tmp);
    return dst;
  } catch (...) {
    cudaFree(dst);
    throw;
  }
}

// The largest power of two (<= 256) that divides the address.
uint32_t alignment(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  uint32_t al = 256;
  while (al > 1 && a % al) al >>= 1;
  return al;
}

}  // namespace

LtHandle::LtHandle() { BTE_CUBLAS_CHECK(cublas_api().LtCreate(&h_)); }
LtHandle::~LtHandle() {
  if (h_) cublas_api().LtDestroy(h_);
}

// Everything cuBLASLt needs for one row count: descriptors and the algorithm.
struct Linear::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool bias_in_epilogue = false;
  ~Plan() {
    if (d) cublas_api().LtMatrixLayoutDestroy(d);
    if (b) cublas_api().LtMatrixLayoutDestroy(b);
    if (a) cublas_api().LtMatrixLayoutDestroy(a);
    if (desc) cublas_api().LtMatmulDescDestroy(desc);
  }
};

Linear::Linear(const LtHandle& lt, const float* W, const float* bias, int N, int K, DType in,
               DType out)
    : lt_(lt.get()), N_(N), K_(K), in_(in), out_(out) {
  BTE_CHECK(N > 0 && K > 0, "Linear ", N, "x", K);
  BTE_CHECK(out == DType::F32 || out == in, "Linear output must be fp32 or the input type");
  W_ = upload_as(W, int64_t(N) * K, in, "a Linear weight");
  if (bias) {
    try {
      bias_ = upload_as(bias, N, out, "a Linear bias");
    } catch (...) {
      cudaFree(W_);
      throw;
    }
  }
}

Linear::~Linear() {
  plans_.clear();
  if (bias_) cudaFree(bias_);
  if (W_) cudaFree(W_);
}

bool Linear::PlanKey::operator<(const PlanKey& o) const {
  return std::tie(M, ldy, ws_bytes, align_x, align_y) <
         std::tie(o.M, o.ldy, o.ws_bytes, o.align_x, o.align_y);
}

std::shared_ptr<const Linear::Plan> Linear::plan(const PlanKey& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t M = key.M;
  size_t ws_bytes = key.ws_bytes;
  if (auto it = plans_.find(key); it != plans_.end()) return it->second;
  if (plans_.size() >= kMaxPlans) plans_.clear();  // bounded memory on endless varied batches

  auto p = std::make_shared<Plan>();
  BTE_CUBLAS_CHECK(cublas_api().LtMatmulDescCreate(&p->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  BTE_CUBLAS_CHECK(cublas_api().LtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
  BTE_CUBLAS_CHECK(cublas_api().LtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
  // A = W stored [K rows, N cols] column-major (= [N, K] row-major), used transposed.
  BTE_CUBLAS_CHECK(cublas_api().LtMatrixLayoutCreate(&p->a, lt_type(in_), K_, N_, K_));
  BTE_CUBLAS_CHECK(cublas_api().LtMatrixLayoutCreate(&p->b, lt_type(in_), K_, uint64_t(M), K_));
  BTE_CUBLAS_CHECK(cublas_api().LtMatrixLayoutCreate(&p->d, lt_type(out_), N_, uint64_t(M), key.ldy));

  // The preference, released on every path out (a throwing check included).
  struct Pref {
    cublasLtMatmulPreference_t h = nullptr;
    ~Pref() {
      if (h) cublas_api().LtMatmulPreferenceDestroy(h);
    }
  } pref;
  BTE_CUBLAS_CHECK(cublas_api().LtMatmulPreferenceCreate(&pref.h));
  auto set_pref = [&](cublasLtMatmulPreferenceAttributes_t a, const void* v, size_t n) {
    BTE_CUBLAS_CHECK(cublas_api().LtMatmulPreferenceSetAttribute(pref.h, a, v, n));
  };
  set_pref(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes, sizeof ws_bytes);
  const uint32_t align_w = 256;  // cudaMalloc'd
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &align_w, sizeof align_w);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &key.align_x, sizeof key.align_x);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &key.align_y, sizeof key.align_y);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &key.align_y, sizeof key.align_y);
  cublasStatus_t last = CUBLAS_STATUS_SUCCESS;
  auto heuristic = [&](cublasLtMatmulHeuristicResult_t* r) {
    int found = 0;
    last = cublas_api().LtMatmulAlgoGetHeuristic(lt_, p->desc, p->a, p->b, p->d, p->d, pref.h, 1, r, &found);
    return last == CUBLAS_STATUS_SUCCESS && found > 0;
  };
  cublasLtMatmulHeuristicResult_t r{};
  bool ok = false;
  if (bias_) {
    const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
    BTE_CUBLAS_CHECK(cublas_api().LtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
    BTE_CUBLAS_CHECK(cublas_api().LtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias_,
                                                    sizeof bias_));
    ok = p->bias_in_epilogue = heuristic(&r);
    if (!ok) {  // no fused-bias kernel for these types: plain GEMM, then add_bias
      const cublasLtEpilogue_t none = CUBLASLT_EPILOGUE_DEFAULT;
      BTE_CUBLAS_CHECK(cublas_api().LtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &none, sizeof none));
    }
  }
  if (!ok) ok = heuristic(&r);
  BTE_REQUIRE(ok, ErrorKind::Device, "cuBLASLt has no algorithm for a ", dtype_name(in_), " -> ",
              dtype_name(out_), " GEMM of M=", M, " N=", N_, " K=", K_, " within ",
              ws_bytes >> 20, " MiB of workspace (cublasLtMatmulAlgoGetHeuristic: ",
              cublas_api().LtGetStatusString(last), ")");
  p->algo = r.algo;
  plans_.emplace(key, p);
  return p;
}

void Linear::forward(const void* x, int64_t M, void* y, void* workspace, size_t ws_bytes,
                     cudaStream_t stream, int64_t ldy) const {
  if (M == 0) return;
  if (ldy == 0) ldy = N_;
  BTE_CHECK(ldy >= N_, "ldy ", ldy, " < N ", N_);
  const auto p = plan(PlanKey{M, ldy, ws_bytes, alignment(x), alignment(y)});
  const float alpha = 1.f, beta = 0.f;
  BTE_CUBLAS_CHECK(cublas_api().LtMatmul(lt_, p->desc, &alpha, W_, p->a, x, p->b, &beta, y, p->d, y, p->d,
                                  &p->algo, workspace, ws_bytes, stream));
  if (bias_ && !p->bias_in_epilogue) {
    BTE_CHECK(ldy == N_, "the bias fallback takes dense rows");
    add_bias(y, out_, M, N_, bias_, stream);
  }
}

std::string Linear::describe() const {
  return std::string("cuBLASLt ") + dtype_name(in_) + "->" + dtype_name(out_) + " fp32 accumulate";
}

}  // namespace bte::cuda
