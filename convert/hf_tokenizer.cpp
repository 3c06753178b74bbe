#include "convert/hf_tokenizer.h"

#include "base/atomic_file.h"
#include "base/check.h"
#include "convert/hf_wordpiece.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "tokenizer/wordpiece_tokenizer.h"
#include "weights/json_fields.h"

namespace bte {

namespace {

constexpr ErrorKind kBad = ErrorKind::BadModel;
constexpr const char* kSentencePieceFile = "sentencepiece.bpe.model";

// tokenizer.json's model.type ("WordPiece", "Unigram", "BPE"), or "" when
// there is no tokenizer.json or it does not say.
std::string tokenizer_json_model(const std::string& dir) {
  const std::string path = dir + "/tokenizer.json";
  if (!path_exists(path)) return "";
  const nlohmann::json j = json_fields::parse(
      read_regular_file(path, "tokenizer.json", kBad, 512 << 20), path, "tokenizer.json");
  const nlohmann::json* m = j.is_object() ? json_fields::find(j, "model") : nullptr;
  const nlohmann::json* t = m && m->is_object() ? json_fields::find(*m, "type") : nullptr;
  return t && t->is_string() ? t->get<std::string>() : "";
}

CheckpointTokenizer sentencepiece(const std::string& dir) {
  CheckpointTokenizer t;
  t.path = dir + "/" + kSentencePieceFile;
  t.bytes = read_regular_file(t.path, "sentencepiece model", kBad, 256 << 20);
  t.tokenizer = std::make_unique<SentencePieceTokenizer>(
      SentencePieceTokenizer::from_bytes(t.bytes, t.path));
  t.vocab_note = " (pieces + <mask>, fairseq offset 1)";
  return t;
}

CheckpointTokenizer wordpiece(const std::string& dir) {
  CheckpointTokenizer t;
  t.path = path_exists(dir + "/tokenizer.json") ? dir + "/tokenizer.json" : dir + "/vocab.txt";
  auto tok = std::make_unique<WordPieceTokenizer>(read_hf_wordpiece(dir), t.path);
  t.bytes = tok->to_bytes();
  t.tokenizer = std::move(tok);
  t.vocab_note = " (the WordPiece vocabulary and its added tokens)";
  return t;
}

}  // namespace

CheckpointTokenizer read_checkpoint_tokenizer(const std::string& dir, const ModelFamily& fam) {
  const bool takes_sp = fam.takes_tokenizer(SentencePieceTokenizer::kKind);
  const bool takes_wp = fam.takes_tokenizer(WordPieceTokenizer::kKind);
  const bool spm = path_exists(dir + "/" + kSentencePieceFile);
  const bool json = path_exists(dir + "/tokenizer.json");
  // XLM-R's sentencepiece file decides, unless a tokenizer.json beside it says
  // WordPiece (read only then; otherwise it describes that same Unigram model).
  if (takes_sp && spm && !(takes_wp && json && tokenizer_json_model(dir) == "WordPiece"))
    return sentencepiece(dir);
  // The WordPiece reader refuses a tokenizer.json of another model, naming it.
  if (takes_wp && (json || path_exists(dir + "/vocab.txt"))) return wordpiece(dir);
  std::string want;
  if (takes_sp) want = kSentencePieceFile;
  if (takes_wp)
    want += std::string(want.empty() ? "" : ", or ") +
            "tokenizer.json (WordPiece) or vocab.txt + tokenizer_config.json";
  const std::string model = json ? tokenizer_json_model(dir) : "";
  BTE_FAIL(kBad, dir, ": no ", want, " (the tokenizer bte needs for a ", fam.name, " model",
           model.empty() ? std::string()
                         : "; tokenizer.json holds a " + model + " model, which bte reads from " +
                               kSentencePieceFile + " only",
           ")");
}

std::vector<std::string> tokenizer_input_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const char* f : {kSentencePieceFile, "tokenizer.json", "vocab.txt", "tokenizer_config.json",
                        "special_tokens_map.json"})
    files.push_back(dir + "/" + f);
  return files;
}

}  // namespace bte
