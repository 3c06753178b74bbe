// Errors in bte: C++ code throws bte::Error; the C API (engine/c_api.cpp)
// turns it into a status code and a thread-local message. The library never
// calls exit() or abort().
//
//   BTE_CHECK(n > 0, "batch is empty");             // internal invariant
//   BTE_FAIL(ErrorKind::BadInput, "line ", k, ": ") // user-caused failure
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace bte {

// What went wrong, coarsely: decides the CLI exit code and the C status.
enum class ErrorKind {
  BadInput,     // a text, an argument, a usage error: the caller can fix it
  BadModel,     // a model file is missing, corrupt or unsupported
  Device,       // no GPU, a CUDA or cuBLAS failure
  Unsupported,  // a valid setting this device, CPU or build cannot run (fp16 on the CPU)
  OutOfMemory,  // an allocation failed
  Internal,     // a bug in bte: an invariant did not hold
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
}  // namespace detail

}  // namespace bte

// Throws bte::Error of the given kind with the concatenated message.
#define BTE_FAIL(kind, ...) throw ::bte::Error((kind), ::bte::detail::concat(__VA_ARGS__))

// Internal invariant: a failure here is a bug, reported with file:line and
// the expression.
#define BTE_CHECK(cond, ...)                                                        \
  do {                                                                              \
    if (!(cond))                                                                    \
      BTE_FAIL(::bte::ErrorKind::Internal, __FILE__, ":", __LINE__, ": check `", #cond, \
               "` failed: ", ##__VA_ARGS__);                                        \
  } while (0)

// User-facing check: a failure is the caller's input, with a clear message.
#define BTE_REQUIRE(cond, kind, ...) \
  do {                               \
    if (!(cond)) BTE_FAIL((kind), __VA_ARGS__); \
  } while (0)
