// Files bte reads and writes, safely: an output never replaces anything until
// it is complete, never lands on a device, FIFO or directory, and is never one
// of the command's inputs; a model-ish input that is not a regular file is
// refused instead of blocking (a FIFO) or reading as "empty" (a directory).
//
//   check_output(out, {cfg, weights, spm});    // before anything is opened for writing
//   AtomicOutput o(out);                       // "<dir>/.<name>.XXXXXX.tmp", 0600 → final mode
//   std::fwrite(p, 1, n, o.file());  ...
//   o.commit();                                // flush, fsync, rename over `out`
//   // destroyed without commit(): the temporary is removed, `out` is untouched
//
// A target that is a symlink to a regular file is written through: the link is
// resolved and its target replaced, so the user's link survives. The new file
// gets the replaced file's permission bits, or 0666 & ~umask for a new one.
// Every failure is an Error(BadInput) naming the file.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "base/check.h"

namespace bte {

// Opens `path` read-only (O_CLOEXEC) without blocking on a FIFO, and refuses
// anything that is not a regular file: "PATH: is a directory, not a WHAT",
// "PATH: is a FIFO, not a WHAT (expected a regular file)". Returns the fd
// (blocking mode restored); `size` gets the file size when given.
int open_regular_file(const std::string& path, const char* what, ErrorKind kind,
                      size_t* size = nullptr);

// The whole of a regular file (open_regular_file's checks), at most `cap` bytes.
std::string read_regular_file(const std::string& path, const char* what, ErrorKind kind,
                              size_t cap);

// Whether anything exists at `path` (links followed).
bool path_exists(const std::string& path);

// Whether both paths exist and name the same file (device and inode, after
// symlinks): a hard link or a symlink to an input is the input.
bool same_file(const std::string& a, const std::string& b);

// Refuses an output that would destroy something: a directory, device, FIFO
// or socket (standard output is `-o -`), or any of `inputs`. Call it before
// opening anything for writing.
void check_output(const std::string& path, const std::vector<std::string>& inputs = {});

class AtomicOutput {
 public:
  // Runs check_output(path), then creates the temporary (O_EXCL, never
  // following a link) in the directory of the (resolved) target.
  explicit AtomicOutput(const std::string& path, const std::vector<std::string>& inputs = {});
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  ~AtomicOutput();  // without commit(): closes and removes the temporary

  std::FILE* file() const { return f_; }
  const std::string& path() const { return path_; }       // as given, for messages
  const std::string& temp_path() const { return temp_; }  // where the bytes are until commit()
  // Flushes, fsyncs, sets the mode and renames the temporary over the target.
  void commit();

 private:
  void discard() noexcept;
  std::string path_, target_, dir_, temp_;  // dir_: the target's directory, "" for the cwd
  std::FILE* f_ = nullptr;
  unsigned mode_ = 0;
  int slot_ = -1;  // in the signal handler's list of temporaries
};

// SIGINT, SIGTERM, SIGHUP: unlink every live AtomicOutput temporary, then die
// of the signal as before. For programs (the CLI); the library never installs
// it. Idempotent; leaves a signal the process ignores (nohup) ignored.
void remove_temporaries_on_signals();

}  // namespace bte
