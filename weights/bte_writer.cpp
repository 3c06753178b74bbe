#include "weights/bte_writer.h"

#include <cerrno>
#include <cstring>
#include <set>

#include "base/check.h"
#include "models/tensor_layout.h"

namespace bte {

void fill_standard_meta(BteHeader& h) {
  h.meta.format_version = kBteFormatVersion;
  h.meta.writer = std::string("bte ") + bte_version();
  h.tokenizer_blob.name = "tokenizer";
}

BteWriter::BteWriter(const std::string& path, BteHeader header)
    : path_(path), header_(std::move(header)) {
  BteHeader& h = header_;
  validate_config(h.config, path);
  const auto want = expected_tensors(h.config, h.dtype);
  BTE_REQUIRE(h.tensors.size() == want.size(), ErrorKind::Internal, path, ": writer got ",
              h.tensors.size(), " tensors, the config implies ", want.size());
  std::set<std::string> names;
  for (const auto& w : want) names.insert(w.name);
  for (size_t i = 0; i < want.size(); ++i) {
    BteEntry& e = h.tensors[i];
    // Any order is fine, but each must be one of the expected, with its shape.
    const TensorSpec* spec = nullptr;
    for (const auto& w : want)
      if (w.name == e.name) spec = &w;
    BTE_REQUIRE(spec && names.erase(e.name) == 1, ErrorKind::Internal, path,
                ": writer got unexpected or repeated tensor '", e.name, "'");
    BTE_REQUIRE(spec->shape == e.shape && spec->dtype == e.dtype, ErrorKind::Internal, path,
                ": writer got tensor '", e.name, "' as ", dtype_name(e.dtype), " ",
                shape_str(e.shape), ", expected ", dtype_name(spec->dtype), " ",
                shape_str(spec->shape));
    e.bytes = uint64_t(checked_bytes(e.shape, dtype_size(e.dtype)));
    e.checksum = 0;
  }
  BTE_REQUIRE(h.tokenizer_blob.bytes > 0, ErrorKind::BadInput, path,
              ": the sentencepiece model is empty");

  // The header's length depends on the offsets' digits, the offsets on the
  // header's length: iterate to the fixed point (it only grows, so it stops).
  uint64_t data_start = align_up(kBtePreambleBytes, kBteAlignment);
  for (;;) {
    uint64_t off = data_start;
    for (auto& e : h.tensors) e.offset = off, off = align_up(off + e.bytes, kBteAlignment);
    h.tokenizer_blob.offset = off;
    file_size_ = off + h.tokenizer_blob.bytes;
    uint64_t json_len = 0;
    try {
      json_len = header_to_json(h).dump().size();
    } catch (const nlohmann::json::exception& e) {  // e.g. a label that is not UTF-8
      BTE_FAIL(ErrorKind::BadInput, path, ": cannot write the header: ", e.what());
    }
    const uint64_t need = align_up(kBtePreambleBytes + json_len, kBteAlignment);
    if (need <= data_start) break;
    data_start = need;
  }
  header_len_ = data_start - kBtePreambleBytes;
  BTE_REQUIRE(header_len_ <= kBteMaxHeaderBytes, ErrorKind::BadInput, path, ": header of ",
              header_len_, " bytes exceeds the format's cap of ", kBteMaxHeaderBytes);

  out_ = std::make_unique<AtomicOutput>(path);  // a failure later: its destructor removes it
  f_ = out_->file();
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  write_preamble();
}

void BteWriter::write_preamble() {
  const BteHeader& h = header_;
  // Preamble + a header placeholder (same length: checksums are fixed-width).
  unsigned char pre[kBtePreambleBytes];
  std::memcpy(pre, kBteMagic, 8);
  const uint32_t version = h.meta.format_version, flags = 0;
  std::memcpy(pre + 8, &version, 4);  // little-endian hosts only (x86-64, aarch64)
  std::memcpy(pre + 12, &flags, 4);
  std::memcpy(pre + 16, &header_len_, 8);
  const std::string hb = header_bytes();
  const uint64_t hsum = checksum64(hb.data(), hb.size());
  std::memcpy(pre + 24, &hsum, 8);
  write_raw(pre, sizeof pre);
  write_raw(hb.data(), hb.size());
}

BteWriter::~BteWriter() = default;  // out_ removes an unfinished temporary

std::string BteWriter::header_bytes() const {
  std::string s = header_to_json(header_).dump();
  BTE_CHECK(s.size() <= header_len_, "header grew from ", header_len_, " to ", s.size());
  s.resize(header_len_, ' ');
  return s;
}

void BteWriter::write_raw(const void* data, size_t n) {
  if (n == 0) return;
  if (std::fwrite(data, 1, n, f_) != n) {
    const int err = errno;
    BTE_FAIL(ErrorKind::BadInput, path_, ": write failed at byte ", pos_, ": ",
             std::strerror(err));
  }
  pos_ += n;
}

void BteWriter::pad_to(uint64_t offset) {
  static const char zeros[kBteAlignment] = {0};
  BTE_CHECK(offset >= pos_ && offset - pos_ < kBteAlignment, "pad from ", pos_, " to ", offset);
  write_raw(zeros, offset - pos_);
}

void BteWriter::begin_tensor(std::string_view name) {
  BTE_CHECK(!in_tensor_ && !finished_, "begin_tensor('", name, "') inside another tensor");
  BTE_CHECK(next_ < header_.tensors.size(), "begin_tensor('", name, "') after the last tensor");
  const BteEntry& e = header_.tensors[next_];
  BTE_CHECK(e.name == name, "tensors must be written in declared order: expected '", e.name,
            "', got '", name, "'");
  pad_to(e.offset);
  in_tensor_ = true;
  written_ = 0;
  sum_ = Checksum64{};
}

void BteWriter::append(const void* data, size_t n) {
  BTE_CHECK(in_tensor_, "append outside a tensor");
  const BteEntry& e = header_.tensors[next_];
  BTE_CHECK(written_ + n <= e.bytes, "tensor '", e.name, "' gets more than its ", e.bytes, " bytes");
  sum_.update(data, n);
  write_raw(data, n);
  written_ += n;
}

void BteWriter::end_tensor() {
  BTE_CHECK(in_tensor_, "end_tensor outside a tensor");
  BteEntry& e = header_.tensors[next_];
  BTE_CHECK(written_ == e.bytes, "tensor '", e.name, "' got ", written_, " of its ", e.bytes,
            " bytes");
  e.checksum = sum_.digest();
  in_tensor_ = false;
  ++next_;
}

void BteWriter::write_tensor(std::string_view name, const void* data, size_t n) {
  begin_tensor(name);
  append(data, n);
  end_tensor();
}

void BteWriter::write_tokenizer(std::string_view bytes) {
  BTE_CHECK(!in_tensor_ && next_ == header_.tensors.size(),
            "write_tokenizer before every tensor was written");
  BteEntry& t = header_.tokenizer_blob;
  BTE_CHECK(bytes.size() == t.bytes, "tokenizer has ", bytes.size(), " bytes, declared ", t.bytes);
  pad_to(t.offset);
  write_raw(bytes.data(), bytes.size());
  t.checksum = checksum64(bytes.data(), bytes.size());
  next_ = SIZE_MAX;  // marks the tokenizer as written
}

void BteWriter::finish() {
  BTE_CHECK(next_ == SIZE_MAX, "finish() before write_tokenizer()");
  BTE_CHECK(pos_ == file_size_, "wrote ", pos_, " bytes, planned ", file_size_);
  const std::string hb = header_bytes();
  const uint64_t hsum = checksum64(hb.data(), hb.size());
  bool ok = std::fseek(f_, 24, SEEK_SET) == 0 && std::fwrite(&hsum, 1, 8, f_) == 8 &&
            std::fwrite(hb.data(), 1, hb.size(), f_) == hb.size();
  const int err = errno;
  BTE_REQUIRE(ok, ErrorKind::BadInput, path_, ": cannot write: ", std::strerror(err));
  f_ = nullptr;
  out_->commit();  // flush, fsync, rename into place
  finished_ = true;
}

}  // namespace bte
