// One function per `bte` subcommand; each returns the process exit code and
// may throw bte::Error (main turns it into a message and an exit code).
#pragma once

namespace bte::cli {

// argv[0] is "bte", argv[1] the subcommand; options start at argv[2].
int cmd_tokenize(int argc, char** argv);
int cmd_tutorial(int argc, char** argv);
int cmd_classify(int argc, char** argv);
int cmd_embed(int argc, char** argv);
int cmd_rerank(int argc, char** argv);
int cmd_tag(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_convert(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_serve(int argc, char** argv);

}  // namespace bte::cli
