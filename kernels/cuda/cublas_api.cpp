#include "kernels/cuda/cublas_api.h"

#include <dlfcn.h>

#include <string>

#include "base/check.h"

namespace bte::cuda {
namespace {

// The sonames of the toolkit bte was built with (libcublas.so.13 for CUDA 13).
#define BTE_STR2(x) #x
#define BTE_STR(x) BTE_STR2(x)
constexpr const char* kCublasLt = "libcublasLt.so." BTE_STR(CUBLAS_VER_MAJOR);
constexpr const char* kCublas = "libcublas.so." BTE_STR(CUBLAS_VER_MAJOR);

struct Library {
  void* handle;
  const char* name;
};

Library open_library(const char* name) {
  // RTLD_NODELETE: the handle lives for the process (function pointers stay valid).
  void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  BTE_REQUIRE(h, ErrorKind::Device, "cannot load ", name, " (the CUDA toolkit's cuBLAS, needed by device cuda): ",
              dlerror());
  return {h, name};
}

template <typename F>
void bind(const Library& lib, const char* symbol, F& out) {
  void* p = dlsym(lib.handle, symbol);
  BTE_REQUIRE(p, ErrorKind::Device, lib.name, " has no ", symbol, " (a different CUDA version than bte was built with?)");
  out = reinterpret_cast<F>(p);
}

CublasApi load() {
  CublasApi a{};
  const Library lt = open_library(kCublasLt);
  const Library bl = open_library(kCublas);
#define BTE_BIND(lib, name, field) bind(lib, #name, a.field)
  BTE_BIND(lt, cublasLtCreate, LtCreate);
  BTE_BIND(lt, cublasLtDestroy, LtDestroy);
  BTE_BIND(lt, cublasLtGetStatusString, LtGetStatusString);
  BTE_BIND(lt, cublasLtMatmul, LtMatmul);
  BTE_BIND(lt, cublasLtMatmulDescCreate, LtMatmulDescCreate);
  BTE_BIND(lt, cublasLtMatmulDescDestroy, LtMatmulDescDestroy);
  BTE_BIND(lt, cublasLtMatmulDescSetAttribute, LtMatmulDescSetAttribute);
  BTE_BIND(lt, cublasLtMatrixLayoutCreate, LtMatrixLayoutCreate);
  BTE_BIND(lt, cublasLtMatrixLayoutDestroy, LtMatrixLayoutDestroy);
  BTE_BIND(lt, cublasLtMatmulPreferenceCreate, LtMatmulPreferenceCreate);
  BTE_BIND(lt, cublasLtMatmulPreferenceDestroy, LtMatmulPreferenceDestroy);
  BTE_BIND(lt, cublasLtMatmulPreferenceSetAttribute, LtMatmulPreferenceSetAttribute);
  BTE_BIND(lt, cublasLtMatmulAlgoGetHeuristic, LtMatmulAlgoGetHeuristic);
  BTE_BIND(bl, cublasCreate_v2, Create);
  BTE_BIND(bl, cublasDestroy_v2, Destroy);
  BTE_BIND(bl, cublasSetStream_v2, SetStream);
  BTE_BIND(bl, cublasSetMathMode, SetMathMode);
  BTE_BIND(bl, cublasSgemmStridedBatched, SgemmStridedBatched);
  BTE_BIND(bl, cublasGetStatusString, GetStatusString);
#undef BTE_BIND
  return a;
}

}  // namespace

const CublasApi& cublas_api() {
  static const CublasApi api = load();  // a failed load throws and is retried on the next call
  return api;
}

}  // namespace bte::cuda
