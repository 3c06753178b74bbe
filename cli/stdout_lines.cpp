#include "cli/stdout_lines.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/check.h"

namespace bte::cli {

void write_bytes(std::FILE* out, std::string_view bytes, const std::string& name) {
  errno = 0;
  if (std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size() && !std::ferror(out)) return;
  const int err = errno;
  BTE_FAIL(ErrorKind::BadInput, "cannot write to ", name, err ? ": " : "",
           err ? std::strerror(err) : "");
}

void write_stdout(std::string_view bytes) { write_bytes(stdout, bytes, "standard output"); }

}  // namespace bte::cli
