#include "weights/bte_file.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "base/check.h"
#include "weights/checksum.h"
#include "weights/json_fields.h"
#include "models/tensor_layout.h"

namespace bte {

namespace {

constexpr ErrorKind kBad = ErrorKind::BadModel;

uint32_t load_u32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t load_u64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// What the first bytes of a file that is not a .bte look like, for the message.
std::string guess_kind(const MappedFile& m) {
  const auto* p = m.data();
  const size_t n = m.size();
  if (n >= 2 && p[0] == 'P' && p[1] == 'K')
    return " (it looks like a zip archive, e.g. a PyTorch .bin checkpoint: convert the model "
           "with `bte convert`)";
  if (n >= 9 && load_u64(p) + 8 <= n && p[8] == '{')
    return " (it looks like a safetensors file: convert the model directory with `bte convert`)";
  if (n >= 1 && p[0] == '{') return " (it looks like a JSON file)";
  return "";
}

void check_preamble(const MappedFile& m, const std::string& path, uint64_t* header_len) {
  const size_t size = m.size();
  const size_t cmp = std::min<size_t>(size, 8);
  BTE_REQUIRE(std::memcmp(m.data(), kBteMagic, cmp) == 0, kBad, path,
              ": not a .bte model file: bad magic (the file does not start with \"BTEMODEL\")",
              guess_kind(m));
  BTE_REQUIRE(size >= kBtePreambleBytes, kBad, path, ": file is truncated: ", size,
              " bytes, shorter than the ", kBtePreambleBytes, "-byte preamble");
  const uint32_t version = load_u32(m.data() + 8);
  BTE_REQUIRE(version != 0, kBad, path, ": format version 0 is invalid");
  BTE_REQUIRE(version <= kBteFormatVersion, kBad, path, ": format version ", version,
              " is newer than this bte reads (version ", kBteFormatVersion,
              "): upgrade bte or convert the model again with this one");
  const uint32_t flags = load_u32(m.data() + 12);
  BTE_REQUIRE(flags == 0, kBad, path, ": unknown flags 0x", std::hex, flags,
              " in the preamble (this bte knows none)");
  const uint64_t n = load_u64(m.data() + 16);
  BTE_REQUIRE(n <= kBteMaxHeaderBytes, kBad, path, ": header length ", n,
              " exceeds the cap of ", kBteMaxHeaderBytes, " bytes");
  BTE_REQUIRE(n <= size - kBtePreambleBytes, kBad, path, ": header length ", n,
              " runs past the end of the file (", size, " bytes): the file is truncated");
  BTE_REQUIRE((kBtePreambleBytes + n) % kBteAlignment == 0, kBad, path, ": header length ", n,
              " does not end the header on a ", kBteAlignment, "-byte boundary");
  // Always checked (it is small): a changed digit in the config or a label
  // would otherwise go unnoticed.
  const uint64_t want = load_u64(m.data() + 24);
  const uint64_t got = checksum64(m.data() + kBtePreambleBytes, n);
  BTE_REQUIRE(got == want, kBad, path, ": header checksum mismatch (preamble says ",
              checksum_hex(want), ", the header gives ", checksum_hex(got),
              "): the file is corrupt");
  *header_len = n;
}

// An item's bytes lie after the header, inside the file, 64-byte aligned.
void check_placement(const BteEntry& e, const char* what, uint64_t data_start, uint64_t size,
                     const std::string& path) {
  BTE_REQUIRE(e.offset % kBteAlignment == 0, kBad, path, ": ", what, " '", e.name, "': offset ",
              e.offset, " is not a multiple of ", kBteAlignment);
  BTE_REQUIRE(e.offset >= data_start, kBad, path, ": ", what, " '", e.name, "': offset ", e.offset,
              " lies inside the header (data starts at ", data_start, ")");
  BTE_REQUIRE(e.offset <= size && e.bytes <= size - e.offset, kBad, path, ": ", what, " '", e.name,
              "': offset ", e.offset, " + ", e.bytes, " bytes runs past the end of the file (",
              size, " bytes): the file is truncated or the offset is wrong");
}

void verify_items(const std::vector<const BteEntry*>& items, const MappedFile& m,
                      const std::string& path) {
  uint64_t total = 0;
  for (const auto* e : items) total += e->bytes;
  std::vector<uint64_t> got(items.size());
  // Big tensors first, so the threads finish together.
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return items[a]->bytes > items[b]->bytes; });
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k; (k = next.fetch_add(1)) < order.size();) {
      const BteEntry& e = *items[order[k]];
      got[order[k]] = checksum64(m.data() + e.offset, e.bytes);
    }
  };
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const unsigned nthreads = total < (uint64_t(64) << 20) ? 1 : std::min(hw, 8u);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < nthreads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (size_t i = 0; i < items.size(); ++i) {
    const BteEntry& e = *items[i];
    BTE_REQUIRE(got[i] == e.checksum, kBad, path, ": checksum mismatch in ",
                &e == items.back() ? "the tokenizer model" : ("tensor '" + e.name + "'").c_str(),
                " (header says ", checksum_hex(e.checksum), ", the data gives ",
                checksum_hex(got[i]), "): the file is corrupt");
  }
}

}  // namespace

namespace {

// An int8 file's values (after the checksums, so a flipped bit reads as
// corruption): rows in [-127, 127] (symmetric; -128 would also break the
// 7-bit requantisation of CPUs without VNNI), scales int8_scale_ok.
void check_int8_values(const std::vector<BteFile::Tensor>& tensors, const std::string& path) {
  for (const BteFile::Tensor& t : tensors) {
    if (t.dtype == DType::I8) {
      const auto* q = static_cast<const int8_t*>(t.data);
      if (const int8_t* bad = std::find(q, q + t.bytes, int8_t(-128)); bad != q + t.bytes)
        BTE_FAIL(kBad, path, ": tensor '", t.name, "' holds -128 at flat index ", bad - q,
                 " (symmetric int8 weights lie in [-127, 127])");
    } else if (is_scale_tensor(t.name) && t.dtype == DType::F32) {
      const auto* s = static_cast<const float*>(t.data);
      for (size_t n = 0; n < t.bytes / sizeof(float); ++n)
        BTE_REQUIRE(int8_scale_ok(s[n]), kBad, path, ": tensor '", t.name, "' holds ", s[n],
                    " at index ", n, " (a scale is a finite number >= 0 that 127 times stays finite)");
    }
  }
}

}  // namespace

BteFile BteFile::open(const std::string& path, const BteOpenOptions& options) {
  BteFile f;
  f.path_ = path;
  f.map_ = MappedFile::open(path, ".bte model file", options.verify_checksums);
  const MappedFile& m = f.map_;
  const uint64_t size = m.size();

  uint64_t header_len = 0;
  check_preamble(m, path, &header_len);
  const uint64_t data_start = kBtePreambleBytes + header_len;
  const nlohmann::json j = json_fields::parse(m.bytes(kBtePreambleBytes, header_len), path, "header");
  f.header_ = header_from_json(j, path);
  BteHeader& h = f.header_;
  BTE_REQUIRE(h.meta.format_version == load_u32(m.data() + 8), kBad, path,
              ": header field 'format_version' is ", h.meta.format_version,
              " but the preamble says ", load_u32(m.data() + 8));
  validate_config(h.config, path);

  // The tensor table against what the config implies.
  const auto want = expected_tensors(h.config, h.dtype);
  std::map<std::string, const TensorSpec*, std::less<>> expect;
  for (const auto& w : want) expect[w.name] = &w;
  for (size_t i = 0; i < h.tensors.size(); ++i) {
    const BteEntry& e = h.tensors[i];
    auto it = expect.find(e.name);
    BTE_REQUIRE(it != expect.end(), kBad, path, ": unexpected tensor '", e.name,
                "' (not part of a ", h.config.architecture, " with ", h.config.layers, " layers)");
    BTE_REQUIRE(f.index_.emplace(e.name, i).second, kBad, path, ": tensor '", e.name,
                "' is listed twice");
    const TensorSpec& s = *it->second;
    BTE_REQUIRE(e.shape == s.shape, kBad, path, ": tensor '", e.name, "' has shape ",
                shape_str(e.shape), " but the config (hidden ", h.config.hidden, ", ffn ",
                h.config.ffn, ", vocab ", h.config.vocab, ", max_positions ",
                h.config.max_positions, ", num_labels ", h.config.num_labels, ") implies ",
                shape_str(s.shape));
    BTE_REQUIRE(e.dtype == s.dtype, kBad, path, ": tensor '", e.name, "' has dtype ",
                dtype_name(e.dtype), ", expected ", dtype_name(s.dtype),
                h.dtype == DType::I8
                    ? " (an int8 file: the layers' weights int8, their scales and 1-D tensors "
                      "fp32, embeddings and head bf16)"
                    : std::string(" (1-D tensors are fp32; 2-D ones have the header's dtype ") +
                          dtype_name(h.dtype) + ")");
    const int64_t need = checked_bytes(e.shape, dtype_size(e.dtype));
    BTE_REQUIRE(need >= 0 && uint64_t(need) == e.bytes, kBad, path, ": tensor '", e.name,
                "': 'bytes' is ", e.bytes, " but ", dtype_name(e.dtype), " ", shape_str(e.shape),
                " takes ", need);
  }
  for (const auto& w : want)
    BTE_REQUIRE(f.index_.count(w.name), kBad, path, ": tensor '", w.name,
                "' is missing (a ", h.config.architecture, " with this config has ", want.size(),
                " tensors, the file lists ", h.tensors.size(), ")");

  // Every item inside the file, none overlapping, nothing after the last.
  std::vector<const BteEntry*> items;
  for (const auto& e : h.tensors) {
    check_placement(e, "tensor", data_start, size, path);
    items.push_back(&e);
  }
  BTE_REQUIRE(h.tokenizer_blob.bytes > 0, kBad, path,
              ": header field 'tokenizer.bytes' is 0: no tokenizer");
  check_placement(h.tokenizer_blob, "item", data_start, size, path);
  items.push_back(&h.tokenizer_blob);
  std::vector<const BteEntry*> by_offset = items;
  std::sort(by_offset.begin(), by_offset.end(),
            [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const BteEntry& a = *by_offset[i - 1];
    const BteEntry& b = *by_offset[i];
    BTE_REQUIRE(a.offset + a.bytes <= b.offset, kBad, path, ": '", a.name, "' (bytes ", a.offset,
                "..", a.offset + a.bytes, ") overlaps '", b.name, "' (bytes ", b.offset, "..",
                b.offset + b.bytes, ")");
  }
  const BteEntry& last = *by_offset.back();
  BTE_REQUIRE(last.offset + last.bytes == size, kBad, path, ": ", size - last.offset - last.bytes,
              " unexpected bytes after the last item ('", last.name, "' ends at ",
              last.offset + last.bytes, ", the file has ", size, " bytes)");

  f.tensors_.reserve(h.tensors.size());
  for (const auto& e : h.tensors)
    f.tensors_.push_back({e.name, e.dtype, e.shape, m.data() + e.offset, size_t(e.bytes)});
  f.tokenizer_ = m.bytes(h.tokenizer_blob.offset, h.tokenizer_blob.bytes);
  if (options.verify_checksums) f.verify_checksums();
  check_int8_values(f.tensors_, path);
  return f;
}

void BteFile::verify_checksums() {
  std::vector<const BteEntry*> items;
  for (const auto& e : header_.tensors) items.push_back(&e);
  items.push_back(&header_.tokenizer_blob);  // last: the message names it
  verify_items(items, map_, path_);
  verified_ = true;
  // Verification read every byte; none of it needs to stay resident.
  map_.drop_pages(map_.data(), map_.size());
}

const BteFile::Tensor* BteFile::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const BteFile::Tensor& BteFile::tensor(std::string_view name) const {
  const Tensor* t = find(name);
  BTE_REQUIRE(t != nullptr, kBad, path_, ": no tensor '", name, "' in the model");
  return *t;
}

}  // namespace bte
