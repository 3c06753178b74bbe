#include "convert/safetensors.h"

#include <algorithm>
#include <cstring>

#include "base/check.h"
#include "weights/json_fields.h"
#include "models/tensor_layout.h"

namespace bte {

namespace {
constexpr uint64_t kMaxHeader = uint64_t(100) << 20;  // the format's own limit
constexpr ErrorKind kBad = ErrorKind::BadModel;
}  // namespace

size_t safetensors_dtype_size(std::string_view d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.path_ = path;
  f.map_ = MappedFile::open(path, "safetensors file");
  const uint64_t size = f.map_.size();
  BTE_REQUIRE(size >= 8, kBad, path, ": safetensors file is truncated: ", size,
              " bytes, shorter than the 8-byte header length");
  uint64_t n;
  std::memcpy(&n, f.map_.data(), 8);
  BTE_REQUIRE(n <= kMaxHeader, kBad, path, ": safetensors header length ", n,
              " exceeds the cap of ", kMaxHeader, " bytes (not a safetensors file?)");
  BTE_REQUIRE(n <= size - 8, kBad, path, ": safetensors header length ", n,
              " runs past the end of the file (", size, " bytes): the file is truncated");
  const nlohmann::json j = json_fields::parse(f.map_.bytes(8, n), path, "safetensors header", 8);
  BTE_REQUIRE(j.is_object(), kBad, path, ": safetensors header must be a JSON object");
  const unsigned char* data = f.map_.data() + 8 + n;
  const uint64_t data_size = size - 8 - n;

  std::vector<std::pair<uint64_t, const Tensor*>> spans;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string& name = it.key();
    const std::string p = "tensor '" + name + "'";
    const auto& e = it.value();
    Tensor t;
    t.name = name;
    t.dtype = json_fields::get_string(e, "dtype", path, p, "safetensors field");
    t.elem_size = safetensors_dtype_size(t.dtype);
    BTE_REQUIRE(t.elem_size > 0, kBad, path, ": ", p, ": unknown safetensors dtype \"", t.dtype,
                "\"");
    const auto& sh = json_fields::get(e, "shape", path, p, "safetensors field");
    BTE_REQUIRE(sh.is_array() && sh.size() <= 8, kBad, path, ": ", p,
                ": 'shape' must be an array of at most 8 integers, got ", json_fields::brief(sh));
    for (const auto& d : sh) {
      BTE_REQUIRE(d.is_number_integer() && d.get<int64_t>() >= 0 &&
                      !(d.is_number_unsigned() && d.get<uint64_t>() > uint64_t(INT64_MAX)),
                  kBad, path, ": ", p, ": shape entries must be non-negative integers, got ",
                  json_fields::brief(d));
      t.shape.push_back(d.get<int64_t>());
    }
    const auto& off = json_fields::get(e, "data_offsets", path, p, "safetensors field");
    BTE_REQUIRE(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() &&
                    off[1].is_number_unsigned(),
                kBad, path, ": ", p, ": 'data_offsets' must be [begin, end], got ",
                json_fields::brief(off));
    const uint64_t b = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    BTE_REQUIRE(b <= end && end <= data_size, kBad, path, ": ", p, ": data_offsets [", b, ", ",
                end, "] lie outside the ", data_size,
                "-byte data section: the file is truncated or corrupt");
    const int64_t need = checked_bytes(t.shape, t.elem_size);
    BTE_REQUIRE(need >= 0, kBad, path, ": ", p, ": ", t.dtype, " ", shape_str(t.shape),
                " overflows any possible size");
    BTE_REQUIRE(uint64_t(need) == end - b, kBad, path, ": ", p, ": data_offsets [",
                b, ", ", end, "] hold ", end - b, " bytes but ", t.dtype, " ",
                shape_str(t.shape), " takes ", need);
    t.data = data + b;
    t.bytes = size_t(end - b);
    auto [pos, fresh] = f.tensors_.emplace(name, std::move(t));
    BTE_CHECK(fresh, "JSON object keys are unique");
    spans.emplace_back(b, &pos->second);
  }
  std::sort(spans.begin(), spans.end(), [](auto& x, auto& y) { return x.first < y.first; });
  for (size_t i = 1; i < spans.size(); ++i) {
    const Tensor& a = *spans[i - 1].second;
    BTE_REQUIRE(spans[i - 1].first + a.bytes <= spans[i].first, kBad, path, ": tensors '", a.name,
                "' and '", spans[i].second->name, "' overlap");
  }
  return f;
}

const SafetensorsFile::Tensor* SafetensorsFile::find(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace bte
