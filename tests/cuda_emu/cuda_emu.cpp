#include "tests/cuda_emu/cuda_emu.h"

#include <bit>
#include <new>
#include <thread>

uint3 blockIdx, blockDim;
dim3 gridDim;

namespace bte_emu {

namespace {
Block* g_block = nullptr;  // the block running now (blocks run one at a time)
}  // namespace

void fail(const char* what) {
  std::fprintf(stderr, "cuda emulation: %s (block %u,%u,%u thread %u)\n", what, blockIdx.x, blockIdx.y,
               blockIdx.z, threadIdx.x);
  std::abort();
}

Block& block() { return *g_block; }

void launch(dim3 grid, int threads, size_t dynamic_shared_bytes, const std::function<void()>& body) {
  // What a real launch refuses.
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) fail("a grid with no blocks");
  if (grid.y > 65535 || grid.z > 65535) fail("gridDim.y or .z above 65535");
  if (threads <= 0 || threads > 1024) fail("block size outside 1..1024");
  gridDim = grid;
  blockDim = {unsigned(threads), 1, 1};
  const size_t smem_bytes = std::max<size_t>(dynamic_shared_bytes, 1);
  std::unique_ptr<unsigned char[]> smem(new (std::align_val_t(128)) unsigned char[smem_bytes]);
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        blockIdx = {x, y, z};
        std::memset(smem.get(), 0xFF, smem_bytes);  // NaN as floats, NaN as fp16/bf16
        Block b;
        b.threads = threads;
        b.block = std::make_unique<std::barrier<>>(threads);
        for (int w = 0; w * 32 < threads; ++w)
          b.warps.push_back(std::make_unique<std::barrier<>>(std::min(32, threads - 32 * w)));
        b.exchange.assign(size_t(threads), 0.f);
        b.dynamic_shared = smem.get();
        g_block = &b;
        std::vector<std::thread> pool;
        pool.reserve(size_t(threads));
        for (int t = 0; t < threads; ++t)
          pool.emplace_back([&b, &body, t] {
            threadIdx = uint3{unsigned(t), 0, 0};
            body();
            b.block->arrive_and_drop();  // a finished thread no longer holds the barriers up
            b.warps[size_t(t) / 32]->arrive_and_drop();
          });
        for (auto& th : pool) th.join();
        g_block = nullptr;
      }
  ::operator delete[](smem.release(), std::align_val_t(128));
}

}  // namespace bte_emu

// ---- 16-bit conversions, round to nearest even --------------------------------
float __half2float(__half h) {
  const uint32_t sign = uint32_t(h.bits & 0x8000) << 16, exp = (h.bits >> 10) & 0x1f, mant = h.bits & 0x3ff;
  if (exp == 0) return (sign ? -1.f : 1.f) * std::ldexp(float(mant), -24);  // zero, subnormal
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000 | (mant << 13));  // inf, NaN
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

__half __float2half_rn(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f), sign = (u >> 16) & 0x8000, a = u & 0x7fffffff;
  if (a > 0x7f800000) return {uint16_t(sign | 0x7e00)};  // NaN
  if (a >= 0x477ff000) return {uint16_t(sign | 0x7c00)};  // at or past 65520: infinity
  if (a < 0x38800000) {                                  // below 2^-14: a subnormal half
    if (a < 0x33000000) return {uint16_t(sign)};         // below 2^-25: zero
    const uint32_t mant = (a & 0x7fffff) | 0x800000;
    const int shift = 126 - int(a >> 23);  // value / 2^-24 = mant >> shift
    const uint32_t q = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    return {uint16_t(sign | (q + (rem > half || (rem == half && (q & 1)))))};
  }
  const uint32_t r = a - 0x38000000;  // exponent re-biased from 127 to 15
  return {uint16_t(sign | ((r + 0xfff + ((r >> 13) & 1)) >> 13))};
}

float __bfloat162float(__nv_bfloat16 h) { return std::bit_cast<float>(uint32_t(h.bits) << 16); }

__nv_bfloat16 __float2bfloat16_rn(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffff) > 0x7f800000) return {uint16_t((u >> 16) | 0x40)};  // NaN stays quiet NaN
  return {uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16)};
}
