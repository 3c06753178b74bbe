// `bte`: the command line. Exit codes: 0 success, 1 bad input or usage,
// 2 model or device error (3 for a bug in bte).
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "base/check.h"
#include "tools/bte/commands.h"

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
    {"bench", bte::cli::cmd_bench, "the tutorial benchmark: reference vs fused vs packed"},
    {"tutorial", bte::cli::cmd_tutorial, "the Better Transformer tutorial's batches, packed"},
    {"convert", bte::cli::cmd_convert, "Hugging Face checkpoint -> one .bte model file"},
    {"info", bte::cli::cmd_info, "describe (and check) a .bte model file"},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: bte <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\n`bte <command> --help` describes a command.\n");
}

int exit_code(bte::ErrorKind k) {
  switch (k) {
    case bte::ErrorKind::BadInput: return 1;
    case bte::ErrorKind::Internal: return 3;
    default: return 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  const std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    usage(stdout);
    return 0;
  }
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
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
  std::fprintf(stderr, "bte: unknown command '%s'\n\n", name.c_str());
  usage(stderr);
  return 1;
}
