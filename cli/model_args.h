// Options every model-running command shares, and opening the engine from them:
//   -m/--model FILE  --device cpu|cuda  --threads N  --mode reference|fused|packed
//   --dtype fp32|bf16|fp16|int8  --verbose (prints the path the engine runs)
#pragma once

#include <memory>
#include <set>
#include <string>

#include "engine/engine.h"
#include "cli/args.h"

namespace bte::cli {

extern const std::set<std::string> kModelValued;  // the valued options above
extern const std::set<std::string> kModelFlags;   // --verbose
extern const char* kModelHelp;                    // their help lines

struct OpenedModel {
  std::unique_ptr<Engine> engine;
  Mode mode = Mode::Packed;
};

// --dtype into o, or without it the model file's own precision
// (EngineOptions::dtype_from_file: int8 for an int8 .bte on the CPU, else fp32).
void set_dtype_option(const Args& args, EngineOptions* o);

// Loads the model named by -m; prints the engine's path to stderr with --verbose.
OpenedModel open_model(const Args& args);

}  // namespace bte::cli

namespace bte::cli {

// For bench and tutorial: -m FILE, or a seeded random model of the
// --config size (base | large | tiny, default `fallback`) with the embedded
// tokenizer. *note says plainly which weights these are.
std::unique_ptr<Engine> open_model_or_random(const Args& args, const EngineOptions& options,
                                             const std::string& fallback, std::string* note);

}  // namespace bte::cli
