// bte tokenize [--spm FILE] [--max-tokens N] [--max-line-bytes N] [--pieces] [--no-truncate] [TEXT... | -f FILE | -]
// One line per text: space-separated ids (or id:piece with --pieces).
#include <cstdio>
#include <string>

#include "base/check.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/stdout_lines.h"
#include "cli/default_tokenizer.h"
#include "cli/text_input.h"
#include "cli/text_pipeline.h"

namespace bte::cli {

int cmd_tokenize(int argc, char** argv) {
  Args args(argc, argv, 2, {"--spm", "--max-tokens", "--file", "--max-line-bytes"}, {"--pieces", "--no-truncate", "--help"},
            {{"-f", "--file"}});
  if (args.flag("--help")) {
    std::printf(
        "usage: bte tokenize [--spm FILE] [--max-tokens N] [--pieces] [--no-truncate] "
        "[TEXT... | -f FILE | -]\n"
        "Prints XLM-R ids (<s>=0 ... </s>=2) of each text, one line per text, in order.\n"
        "Texts come from arguments, a file, or stdin (one per line). Without --spm the\n"
        "embedded test tokenizer is used. Texts longer than --max-tokens (default 512,\n"
        "specials included) are truncated with a warning, or refused with --no-truncate;\n"
        "so are texts over --max-line-bytes (default 1 MiB).\n");
    return 0;
  }
  const SentencePieceTokenizer tok = open_tokenizer(args.get_or("--spm", ""));
  const int max_tokens = args.get_int("--max-tokens", 512, 2, 1 << 20);
  const bool pieces = args.flag("--pieces");
  TextSource src = text_source(args);
  std::string text, line;
  while (src.next(text)) {
    check_cut(src, text, args.flag("--no-truncate"));
    Encoding e;
    try {
      e = tok.encode(text, max_tokens);
    } catch (const Error& err) {
      BTE_FAIL(err.kind(), src.where(), ": ", err.what());
    }
    if (e.truncated()) {
      BTE_REQUIRE(!args.flag("--no-truncate"), ErrorKind::BadInput, src.where(), ": text has ",
                  e.full_length, " tokens, more than --max-tokens ", max_tokens);
      std::fprintf(stderr, "bte tokenize: warning: %s: truncated from %lld to %d tokens\n",
                   src.where().c_str(), (long long)e.full_length, max_tokens);
    }
    line.clear();
    for (size_t i = 0; i < e.ids.size(); ++i) {
      if (i) line += ' ';
      line += std::to_string(e.ids[i]);
      if (pieces) line += ":" + tok.id_to_piece(e.ids[i]);
    }
    line += '\n';
    write_stdout(line);
  }
  return 0;
}

}  // namespace bte::cli
