#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace bte {

namespace {

const char* type_name(mode_t m) {
  if (S_ISDIR(m)) return "directory";
  if (S_ISFIFO(m)) return "FIFO";
  if (S_ISCHR(m)) return "character device";
  if (S_ISBLK(m)) return "block device";
  if (S_ISSOCK(m)) return "socket";
  return "special file";
}

// ---- the temporaries a signal must remove ----------------------------------------
// A fixed table, so the handler touches no allocator: state 0 free, 1 being
// filled, 2 live (path valid).
constexpr int kSlots = 16;
struct Slot {
  std::atomic<int> state{0};
  char path[PATH_MAX];
};
Slot g_slots[kSlots];

int register_temp(const std::string& path) {
  if (path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expect = 0;
    if (!g_slots[i].state.compare_exchange_strong(expect, 1)) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].state.store(2);
    return i;
  }
  return -1;  // more than kSlots outputs at once: no cleanup on a signal for this one
}

void unregister_temp(int slot) {
  if (slot >= 0) g_slots[slot].state.store(0);
}

extern "C" void remove_temporaries_and_reraise(int sig) {
  const int saved = errno;
  for (auto& s : g_slots)
    if (s.state.load() == 2) ::unlink(s.path);
  errno = saved;
  ::raise(sig);  // SA_RESETHAND put the default action back; SA_NODEFER lets it in now
}

// 0666 & ~umask, read without changing the umask (other threads may create files).
unsigned default_mode() {
  static const unsigned mode = [] {
    if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
      char line[256];
      unsigned u = 0;
      bool found = false;
      while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "Umask: %o", &u) == 1) {
          found = true;
          break;
        }
      std::fclose(f);
      if (found) return 0666u & ~u;
    }
    const mode_t u = ::umask(0);  // no /proc: the classic read-and-restore
    ::umask(u);
    return 0666u & ~unsigned(u);
  }();
  return mode;
}

}  // namespace

int open_regular_file(const std::string& path, const char* what, ErrorKind kind, size_t* size) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    BTE_FAIL(kind, path, ": cannot open ", what, ": ", std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    BTE_FAIL(kind, path, ": cannot stat ", what, ": ", std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    if (S_ISDIR(st.st_mode)) BTE_FAIL(kind, path, ": is a directory, not a ", what);
    BTE_FAIL(kind, path, ": is not a regular file but a ", type_name(st.st_mode), "; expected a ",
             what);
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  if (size) *size = size_t(st.st_size);
  return fd;
}

std::string read_regular_file(const std::string& path, const char* what, ErrorKind kind,
                              size_t cap) {
  size_t size = 0;
  const int fd = open_regular_file(path, what, kind, &size);
  if (size > cap) {
    ::close(fd);
    BTE_FAIL(kind, path, ": ", what, " is ", size, " bytes, more than the cap of ", cap);
  }
  std::string out(size, '\0');
  size_t got = 0;
  for (;;) {  // to EOF: the file may have grown since fstat
    if (got == out.size()) {
      if (out.size() > cap) break;
      out.resize(out.size() + (out.size() < 4096 ? 4096 : out.size()));
    }
    const ssize_t n = ::read(fd, &out[got], out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      BTE_FAIL(kind, path, ": cannot read ", what, ": ", std::strerror(err));
    }
    if (n == 0) break;
    got += size_t(n);
  }
  ::close(fd);
  out.resize(got);
  BTE_REQUIRE(out.size() <= cap, kind, path, ": ", what, " is more than the cap of ", cap,
              " bytes");
  return out;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

void check_output(const std::string& path, const std::vector<std::string>& inputs) {
  BTE_REQUIRE(!path.empty(), ErrorKind::BadInput, "the output file name is empty");
  struct stat ls {};
  if (::lstat(path.c_str(), &ls) == 0) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      BTE_FAIL(ErrorKind::BadInput, path, ": is a symbolic link whose target cannot be reached (",
               std::strerror(err), "); give the output a real path");
    }
    BTE_REQUIRE(!S_ISDIR(st.st_mode), ErrorKind::BadInput, path,
                ": is a directory; give the output a file name");
    BTE_REQUIRE(S_ISREG(st.st_mode), ErrorKind::BadInput, path, ": is a ", type_name(st.st_mode),
                ", not a regular file; bte only replaces regular files (for standard output, "
                "use -o - or leave -o out)");
  }
  for (const auto& in : inputs)
    BTE_REQUIRE(!same_file(path, in), ErrorKind::BadInput, path, ": is the same file as the input ",
                in, "; writing it would destroy the input, so write somewhere else");
}

AtomicOutput::AtomicOutput(const std::string& path, const std::vector<std::string>& inputs)
    : path_(path), target_(path), mode_(default_mode()) {
  check_output(path, inputs);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {  // write through the link, so the link survives
      char resolved[PATH_MAX];
      if (!::realpath(path.c_str(), resolved)) {
        const int err = errno;
        BTE_FAIL(ErrorKind::BadInput, path, ": cannot resolve the symbolic link: ",
                 std::strerror(err));
      }
      target_ = resolved;
    }
    if (::stat(target_.c_str(), &st) == 0) mode_ = unsigned(st.st_mode) & 07777;
  }
  const size_t slash = target_.rfind('/');
  dir_ = slash == std::string::npos ? "" : target_.substr(0, slash + 1);
  std::string name = target_.substr(dir_.size());
  if (name.size() > 200) name.resize(200);  // room for ".XXXXXX.tmp" within NAME_MAX
  std::string tmpl = dir_ + "." + name + ".XXXXXX.tmp";
  // mkostemps: O_CREAT | O_EXCL (a link or any existing name there is never
  // followed nor reused), mode 0600 until commit().
  const int fd = ::mkostemps(&tmpl[0], 4, O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    BTE_FAIL(ErrorKind::BadInput, path, ": cannot open for writing (a temporary file in ",
             dir_.empty() ? "." : dir_, "): ", std::strerror(err));
  }
  temp_ = tmpl;
  slot_ = register_temp(temp_);
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    const int err = errno;
    ::close(fd);
    discard();
    BTE_FAIL(ErrorKind::BadInput, temp_, ": cannot open: ", std::strerror(err));
  }
}

void AtomicOutput::discard() noexcept {
  if (f_) std::fclose(f_);
  f_ = nullptr;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  unregister_temp(slot_);
  slot_ = -1;
  temp_.clear();
}

AtomicOutput::~AtomicOutput() { discard(); }

void AtomicOutput::commit() {
  BTE_CHECK(f_, "AtomicOutput::commit() twice or after a failure");
  const int fd = ::fileno(f_);
  auto fail = [&](const char* step) {
    const int err = errno;
    discard();
    BTE_FAIL(ErrorKind::BadInput, path_, ": ", step, " failed: ", std::strerror(err),
             "; the file was left as it was");
  };
  if (std::fflush(f_) != 0) fail("write");
  if (::fsync(fd) != 0 && errno != EINVAL) fail("fsync");  // EINVAL: a filesystem without fsync
  if (::fchmod(fd, mode_t(mode_)) != 0) fail("setting the permissions");
  const int closed = std::fclose(f_);
  f_ = nullptr;
  if (closed != 0) fail("close");
  // Again, just before the rename: something special may have appeared since.
  struct stat st {};
  if (::lstat(target_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    discard();
    BTE_FAIL(ErrorKind::BadInput, path_, ": is now a ", type_name(st.st_mode),
             ", not a regular file; not replaced");
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("rename into place");
  unregister_temp(slot_);
  slot_ = -1;
  temp_.clear();
  const int dfd = ::open(dir_.empty() ? "." : dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // best effort: makes the rename itself durable
    ::fsync(dfd);
    ::close(dfd);
  }
}

void remove_temporaries_on_signals() {
  static std::atomic<bool> done{false};
  if (done.exchange(true)) return;
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;  // ignored (nohup) or taken
    struct sigaction sa {};
    sa.sa_handler = remove_temporaries_and_reraise;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    ::sigaction(sig, &sa, nullptr);
  }
}

}  // namespace bte
