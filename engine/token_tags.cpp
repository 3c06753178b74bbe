#include "engine/token_tags.h"

#include "base/check.h"

namespace bte {

namespace {

int64_t code_points(std::string_view text, size_t bytes) {
  int64_t n = 0;
  for (size_t i = 0; i < bytes && i < text.size(); ++i)
    n += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  return n;
}

// The text of a run of tokens: their pieces joined, the word-boundary mark
// "▁" read as a space, the first one dropped (sentencepiece marks the start
// of a word, not a space of the text); an unknown token stands for the text it covers.
std::string span_text(std::string_view text, const Encoding& enc, size_t first, size_t last,
                      const Tokenizer& tok, int32_t unk_id) {
  static const std::string kMark = "\xE2\x96\x81";  // U+2581
  std::string joined;
  for (size_t t = first; t <= last; ++t) {
    if (enc.ids[t] == unk_id) {
      const auto [b, e] = enc.offsets[t];
      joined += std::string(text.substr(size_t(b), size_t(e - b)));
    } else {
      joined += tok.id_to_piece(enc.ids[t]);
    }
  }
  std::string out;
  for (size_t i = 0; i < joined.size();) {
    if (joined.compare(i, kMark.size(), kMark) == 0) {
      out += ' ';
      i += kMark.size();
    } else {
      out += joined[i++];
    }
  }
  if (!out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

}  // namespace

std::vector<TaggedSpan> group_token_tags(std::string_view text, const Encoding& enc,
                                         const float* probs, const std::vector<std::string>& labels,
                                         const Tokenizer& tok) {
  BTE_CHECK(enc.offsets.size() == enc.ids.size(), "group_token_tags needs an encoding with offsets");
  const size_t C = labels.size(), T = enc.ids.size();
  // The unknown token's id: the one whose piece is "<unk>" (sentencepiece: 3).
  int32_t unk_id = -1;
  for (int32_t id = 0; id < std::min<int32_t>(tok.vocab_size(), 8); ++id)
    if (tok.id_to_piece(id) == "<unk>") unk_id = id;

  struct Token {
    size_t index;
    std::string label;  // as the model names it ("B-PER")
    std::string tag;    // what groups tokens: the label without "B-" / "I-"
    bool begins;  // "B-"
    double score;
  };
  std::vector<TaggedSpan> spans;
  std::vector<Token> group;
  auto flush = [&] {
    if (group.empty() || group[0].label == "O") {
      group.clear();
      return;
    }
    TaggedSpan s;
    // The pipeline names a span by its first token's label after the first
    // '-' ("S-PER" and "B-PER" alike give "PER").
    const size_t dash = group[0].label.find('-');
    s.label = dash == std::string::npos ? group[0].label : group[0].label.substr(dash + 1);
    double sum = 0;
    for (const Token& t : group) sum += t.score;
    s.score = sum / double(group.size());
    s.start_byte = enc.offsets[group.front().index].first;
    s.end_byte = enc.offsets[group.back().index].second;
    s.start = code_points(text, size_t(s.start_byte));
    s.end = code_points(text, size_t(s.end_byte));
    s.word = span_text(text, enc, group.front().index, group.back().index, tok, unk_id);
    spans.push_back(std::move(s));
    group.clear();
  };
  // The specials (<s> first, </s> last) carry no label.
  for (size_t t = 1; t + 1 < T; ++t) {
    const float* p = probs + t * C;
    size_t best = 0;
    for (size_t k = 1; k < C; ++k)
      if (p[k] > p[best]) best = k;
    const std::string& label = labels[best];
    Token tok_t{t, label, label, false, double(p[best])};
    if (label.size() > 2 && (label[0] == 'B' || label[0] == 'I') && label[1] == '-') {
      tok_t.tag = label.substr(2);
      tok_t.begins = label[0] == 'B';
    }
    if (!group.empty() && (tok_t.tag != group.back().tag || tok_t.begins)) flush();
    group.push_back(std::move(tok_t));
  }
  flush();
  return spans;
}

}  // namespace bte
