#include "tools/bte/stdout_lines.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/check.h"

namespace bte::cli {

void write_stdout(std::string_view bytes) {
  errno = 0;
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size() && !std::ferror(stdout))
    return;
  const int err = errno;
  BTE_FAIL(ErrorKind::BadInput, "cannot write to standard output", err ? ": " : "",
           err ? std::strerror(err) : "");
}

}  // namespace bte::cli
