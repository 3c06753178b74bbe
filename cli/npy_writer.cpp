#include "cli/npy_writer.h"

#include <cerrno>
#include <cstring>

#include "base/check.h"

namespace bte::cli {

namespace {
constexpr size_t kHeaderBytes = 128;  // magic + version + length + dict, padded: fits any row count
}

NpyWriter::NpyWriter(std::FILE* out, std::string name, int cols)
    : out_(out), name_(std::move(name)), cols_(cols) {
  seekable_ = std::fseek(out_, 0, SEEK_CUR) == 0;
  if (seekable_) {
    const std::string h = header(0);
    BTE_REQUIRE(std::fwrite(h.data(), 1, h.size(), out_) == h.size(), ErrorKind::BadInput,
                "cannot write to ", name_, ": ", std::strerror(errno));
  }
}

std::string NpyWriter::header(int64_t rows) const {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) +
                     ", " + std::to_string(cols_) + "), }";
  // magic(6) + version(2) + u16 length(2) + dict, padded with spaces, ending in '\n'.
  dict.append(kHeaderBytes - 10 - dict.size() - 1, ' ');
  dict += '\n';
  std::string h("\x93NUMPY\x01\x00", 8);
  const uint16_t len = uint16_t(dict.size());
  h += char(len & 0xFF);
  h += char(len >> 8);
  return h + dict;
}

void NpyWriter::append(const float* row) {
  ++rows_;
  if (!seekable_) {
    buffered_.insert(buffered_.end(), row, row + cols_);
    return;
  }
  BTE_REQUIRE(std::fwrite(row, sizeof(float), size_t(cols_), out_) == size_t(cols_),
              ErrorKind::BadInput, "cannot write to ", name_, ": ", std::strerror(errno));
}

void NpyWriter::close() {
  const std::string h = header(rows_);
  if (seekable_) {
    BTE_REQUIRE(std::fseek(out_, 0, SEEK_SET) == 0, ErrorKind::BadInput, "cannot write to ", name_,
                ": ", std::strerror(errno));
  }
  bool ok = std::fwrite(h.data(), 1, h.size(), out_) == h.size();
  if (!seekable_ && ok)
    ok = std::fwrite(buffered_.data(), sizeof(float), buffered_.size(), out_) == buffered_.size();
  ok = ok && std::fflush(out_) == 0;
  BTE_REQUIRE(ok, ErrorKind::BadInput, "cannot write to ", name_, ": ", std::strerror(errno));
}

}  // namespace bte::cli
