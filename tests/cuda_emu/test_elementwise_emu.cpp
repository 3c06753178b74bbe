// The CUDA elementwise kernels' own source (grid-stride loops: bias, GELU,
// tanh, add, conversions) run on the CPU by cuda_emu.h against the reference
// twins, with the [cuda] test's sizes; once also on a grid far smaller than
// the data, as blocks_for's cap makes it on big tensors, so the stride itself
// is exercised.
#include <catch2/catch.hpp>

#include "tests/cuda_emu/emu_types.h"  // first: CUDA's keywords and types
#include "kernels/cuda/elementwise_kernel.cuh"
#include "kernels/reference/ops.h"
#include "tests/test_util.h"

using namespace bte;
using namespace bte::test;
using namespace bte::cuda::elementwise_kernel;
using bte_emu::from_f;
using bte_emu::to_f;
using bte_emu::to_floats;
using bte_emu::to_type;
using bte_emu::type_name;

namespace {

// Rows x columns: awkward for every block size. Under the sanitizers
// (BTE_TEST_QUICK) 5 rows: 645 elements still end in a partial block, and
// each emulated CUDA thread is an OS thread, which ASan and TSan make dear.
const int64_t M = bte::test::full_or_quick<int64_t>(37, 5);
const int N = 129;

template <typename T>
void check_bias_gelu(double tol) {
  const auto x = random_floats(M * N, 40, -6.f, 6.f), b = random_floats(N, 41);
  auto y = to_type<T>(x);
  const auto bt = to_type<T>(b);
  std::vector<float> want = to_floats(y);
  ref::add_bias(want.data(), M, N, to_floats(bt).data());
  ref::gelu_inplace(want.data(), M * N);
  bte_emu::launch(dim3(blocks_for(M * N)), kThreads, 0, [&] { add_bias_kernel<T>(y.data(), M, N, bt.data()); });
  bte_emu::launch(dim3(blocks_for(M * N)), kThreads, 0, [&] { gelu_kernel<T>(y.data(), M * N); });
  const auto got = to_floats(y);
  const auto diff = compare(got.data(), want.data(), M * N, 1.0);
  INFO(type_name<T>() << " bias+gelu: " << diff.describe());
  CHECK(diff.max_rel <= tol);
}

template <typename S, typename D>
void check_convert(unsigned grid) {
  const auto x = random_floats(M * N, 42, -70000.f, 70000.f);  // past fp16's range too
  const auto src = to_type<S>(x);
  std::vector<D> dst(src.size(), from_f<D>(NAN));
  bte_emu::launch(dim3(grid), kThreads, 0, [&] { convert_kernel<S, D>(src.data(), dst.data(), M * N); });
  for (size_t i = 0; i < src.size(); ++i) {
    const float want = to_f(from_f<D>(to_f(src[i]))), got = to_f(dst[i]);
    INFO(type_name<S>() << " -> " << type_name<D>() << " at " << i << " (grid " << grid << ")");
    REQUIRE((got == want || (std::isnan(got) && std::isnan(want))));
  }
}

}  // namespace

TEST_CASE("cuda emulation: bias + GELU kernels match the reference", "[cuda_emu]") {
  check_bias_gelu<float>(1e-6);  // the [cuda] test's tolerances: two 16-bit roundings
  check_bias_gelu<__half>(2e-2);
  check_bias_gelu<__nv_bfloat16>(4e-2);
}

TEST_CASE("cuda emulation: tanh, relu and add kernels match the reference", "[cuda_emu]") {
  const auto x = random_floats(M * N, 43, -6.f, 6.f), d = random_floats(M * N, 44);
  auto want = x, got = x;
  ref::tanh_inplace(want.data(), M * N);
  ref::add_inplace(want.data(), d.data(), M * N);
  bte_emu::launch(dim3(blocks_for(M * N)), kThreads, 0, [&] { tanh_kernel(got.data(), M * N); });
  bte_emu::launch(dim3(blocks_for(M * N)), kThreads, 0, [&] { add_kernel(got.data(), d.data(), M * N); });
  CHECK(compare(got.data(), want.data(), M * N, 1.0).max_rel <= 1e-6);
  auto want_relu = x, got_relu = x;
  ref::relu_inplace(want_relu.data(), M * N);
  bte_emu::launch(dim3(blocks_for(M * N)), kThreads, 0, [&] { relu_kernel(got_relu.data(), M * N); });
  CHECK(got_relu == want_relu);  // exact: a max with zero
}

TEST_CASE("cuda emulation: conversion kernel rounds every element, grid-stride included", "[cuda_emu]") {
  for (unsigned grid : {blocks_for(M * N), 2u}) {  // 2 blocks: each thread takes ~9 elements
    check_convert<float, __half>(grid);
    check_convert<float, __nv_bfloat16>(grid);
    check_convert<__half, float>(grid);
    check_convert<__nv_bfloat16, __half>(grid);
    check_convert<__half, __nv_bfloat16>(grid);
  }
}
