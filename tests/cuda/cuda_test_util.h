// Helpers for the [cuda] tests: device tensors of any element type made from
// fp32 host data (rounded on the host, as the reference then sees it), read
// back as fp32, and poisoned (all bits set: NaN in every type) so an element
// a kernel forgot to write fails the comparison.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/cuda/device_buffer.h"
#include "base/dtype.h"
#include "base/dtype.h"

namespace bte::test {


// v rounded to `t` and widened back (what a kernel reading `t` sees).
inline std::vector<float> rounded(const std::vector<float>& v, DType t) {
  std::vector<float> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    switch (t) {
      case DType::F32: r[i] = v[i]; break;
      case DType::F16: r[i] = fp16_to_float(float_to_fp16(v[i])); break;
      case DType::BF16: r[i] = bf16_to_float(float_to_bf16(v[i])); break;
    }
  }
  return r;
}

class DeviceTensor {
 public:
  DeviceTensor(int64_t n, DType t) : buf_(size_t(n) * dtype_size(t)), n_(n), t_(t) {}
  DeviceTensor(const std::vector<float>& host, DType t) : DeviceTensor(int64_t(host.size()), t) {
    std::vector<uint8_t> bytes(buf_.size());
    for (size_t i = 0; i < host.size(); ++i) {
      if (t == DType::F32) {
        std::memcpy(&bytes[i * 4], &host[i], 4);
      } else {
        const uint16_t h = t == DType::F16 ? float_to_fp16(host[i]) : float_to_bf16(host[i]);
        std::memcpy(&bytes[i * 2], &h, 2);
      }
    }
    buf_.upload(bytes);
  }
  void* get() const { return buf_.get(); }
  float* f32() const { return reinterpret_cast<float*>(buf_.get()); }
  void poison() { buf_.poison(); }
  std::vector<float> to_host() const {
    const std::vector<uint8_t> bytes = buf_.download();
    std::vector<float> out(static_cast<size_t>(n_));
    for (size_t i = 0; i < out.size(); ++i) {
      if (t_ == DType::F32) {
        std::memcpy(&out[i], &bytes[i * 4], 4);
      } else {
        uint16_t h;
        std::memcpy(&h, &bytes[i * 2], 2);
        out[i] = t_ == DType::F16 ? fp16_to_float(h) : bf16_to_float(h);
      }
    }
    return out;
  }

 private:
  cuda::DeviceBuffer<uint8_t> buf_;
  int64_t n_;
  DType t_;
};

inline const char* name_of(DType t) { return dtype_name(t); }

}  // namespace bte::test
