// `bte`: the command line. Exit codes: 0 success, 1 bad input or usage
// (a failed write to standard output included), 2 model or device error
// (3 for a bug in bte).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "base/check.h"
#include "cli/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const Command kCommands[] = {
    {"tokenize", bte::cli::cmd_tokenize, "print XLM-R token ids, one line per text"},
    {"classify", bte::cli::cmd_classify, "classify texts: label and probability per line"},
    {"embed", bte::cli::cmd_embed, "one embedding per text (jsonl or .npy)"},
    {"rerank", bte::cli::cmd_rerank, "score (query, document) pairs with a cross-encoder"},
    {"tag", bte::cli::cmd_tag, "token classification: the labelled spans of each text"},
    {"bench", bte::cli::cmd_bench, "the tutorial benchmark: reference vs fused vs packed"},
    {"tutorial", bte::cli::cmd_tutorial, "the Better Transformer tutorial's batches, packed"},
    {"convert", bte::cli::cmd_convert, "Hugging Face checkpoint -> one .bte model file"},
    {"info", bte::cli::cmd_info, "describe (and check) a .bte model file"},
    {"serve", bte::cli::cmd_serve, "an HTTP server (text-embeddings-inference routes), batched"},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: bte <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\n`bte <command> --help` describes a command.\n");
}

// A standard stream that the caller closed (`bte info m.bte >&-`) is given a
// descriptor that fails its direction's calls: the writes then fail and are
// reported below, and no file this process opens later lands on fd 0-2 and
// receives output meant for the terminal.
void guard_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int got = ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
    if (got >= 0 && got != fd) ::close(got);  // fd was not the lowest free one: leave it
  }
}

// Every byte a command printed must have reached standard output: a full
// disk, a closed descriptor or a failed flush is an error, not a success.
int finish_stdout(const char* command, int status) {
  if (status != 0) {  // the command failed and said why: one message is enough
    std::fclose(stdout);
    return status;
  }
  errno = 0;
  const bool failed_before = std::ferror(stdout) != 0;
  const bool flush_failed = std::fflush(stdout) != 0;
  const int err = errno;
  const bool close_failed = std::fclose(stdout) != 0;
  if (!failed_before && !flush_failed && !close_failed) return status;
  const int e = err ? err : errno;
  std::fprintf(stderr, "bte%s%s: error: cannot write to standard output%s%s\n", command[0] ? " " : "",
               command, e ? ": " : "", e ? std::strerror(e) : "");
  return 1;
}

int exit_code(bte::ErrorKind k) {
  switch (k) {
    case bte::ErrorKind::BadInput: return 1;
    case bte::ErrorKind::Internal: return 3;
    default: return 2;  // BadModel, Device, Unsupported, OutOfMemory
  }
}

int run_command(const Command& c, int argc, char** argv) {
  try {
    return c.run(argc, argv);
  } catch (const bte::Error& e) {
    std::fprintf(stderr, "bte %s: error: %s\n", c.name, e.what());
    return exit_code(e.kind());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "bte %s: error: out of memory\n", c.name);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bte %s: internal error: %s\n", c.name, e.what());
    return 3;
  }
}

}  // namespace

int main(int argc, char** argv) {
  guard_standard_fds();
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  const std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    usage(stdout);
    return finish_stdout("", 0);
  }
  for (const auto& c : kCommands) {
    if (name == c.name) return finish_stdout(c.name, run_command(c, argc, argv));
  }
  std::fprintf(stderr, "bte: unknown command '%s'\n\n", name.c_str());
  usage(stderr);
  return 1;
}
