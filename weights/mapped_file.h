// A whole file mapped read-only (mmap, MAP_PRIVATE). Used by the .bte and the
// safetensors readers, so tensors are read in place and never copied.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bte {

class MappedFile {
 public:
  // `what` names the file in messages ("model file", "safetensors file").
  // Throws Error(BadModel) for a missing file, a directory, an unreadable or an
  // empty file. `populate` pre-faults every page (for a read of the whole file).
  static MappedFile open(const std::string& path, const char* what, bool populate = false);

  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view bytes(size_t offset, size_t n) const {  // caller checked the range
    return {reinterpret_cast<const char*>(data_) + offset, n};
  }

 private:
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace bte
