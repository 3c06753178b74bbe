#include "models/tensor_layout.h"

#include "models/family.h"

namespace bte {

std::string layer_tensor(int layer, std::string_view suffix) {
  return "layers." + std::to_string(layer) + "." + std::string(suffix);
}

namespace {
constexpr std::string_view kScaleSuffix = ".scale";
}

std::string scale_tensor(std::string_view weight) {
  return std::string(weight) + std::string(kScaleSuffix);
}

bool is_scale_tensor(std::string_view name) {
  return name.size() > kScaleSuffix.size() &&
         name.substr(name.size() - kScaleSuffix.size()) == kScaleSuffix;
}

std::vector<TensorSpec> expected_tensors(const ModelConfig& c, DType m) {
  return model_family(c.family).tensors(c, m);
}

int64_t checked_bytes(const std::vector<int64_t>& shape, size_t elem_size) {
  constexpr int64_t kCap = int64_t(1) << 62;
  int64_t n = int64_t(elem_size);
  for (int64_t s : shape) {
    if (s < 0) return -1;
    if (s != 0 && n > kCap / s) return -1;
    n *= s;
  }
  return n;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace bte
