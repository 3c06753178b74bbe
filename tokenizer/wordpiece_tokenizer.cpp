// WordPiece as Hugging Face `tokenizers` 0.23 runs a BERT tokenizer.json.
//
// The pipeline, per text (HF's order; each step per character, so they
// compose into one pass over the text):
//   0. added tokens: the text is split on them first, leftmost-longest; those
//      with normalized=false are matched in the raw text, the others in the
//      normalized text of what is left (HF's AddedVocabulary).
//   1. BertNormalizer, per character c of the text:
//      clean_text:  drop U+0000, U+FFFD and "controls" (general category Cc,
//                   Cf or Co, but not \t \n \r: Rust's unicode_categories
//                   is_other() without Cn); White_Space -> ' '.
//      handle_chinese_chars: ' ' c ' ' for the CJK ideograph blocks below.
//      strip_accents: NFD, then drop Mn (nonspacing marks).
//      lowercase:   Rust's char::to_lowercase: the simple lowercase mapping,
//                   except U+0130 -> "i\u0307" (its one unconditional full
//                   mapping; no final-sigma rule: Σ -> σ everywhere).
//   2. BertPreTokenizer: split on White_Space (Rust's char::is_whitespace),
//      isolate each punctuation character (ASCII punctuation or a P*
//      category).
//   3. WordPiece on each word: greedy longest match first, continuation
//      pieces carry the prefix ("##"); a word longer than
//      max_input_chars_per_word characters, or one that cannot be covered,
//      is a single unk.
//   4. The template (single or pair) adds the specials and type ids.
// Offsets: each normalized character remembers the bytes of the original
// character it came from; a token spans from its first character's start to
// its last's end (what HF's alignments give).
//
// Unicode data comes from ICU (72: Unicode 15.0). HF's Rust crates carry their
// own tables; tests/test_wordpiece.cpp compares every code point's treatment
// with the oracle's.
#include "tokenizer/wordpiece_tokenizer.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "base/check.h"
#include "base/utf8.h"
#include "tokenizer/truncation.h"

namespace bte {

namespace {

constexpr ErrorKind kBad = ErrorKind::BadModel;

// ---- Unicode -------------------------------------------------------------------

// The classes a normalized character falls into for the pre-tokenizer.
enum : uint8_t { kWord = 0, kSpace = 1, kPunct = 2, kDrop = 3 };

bool is_ascii_punct(uint32_t c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
         (c >= 123 && c <= 126);
}

// Hugging Face's BertNormalizer and BertPreTokenizer take general categories
// from the Rust crate unicode_categories 0.1, whose tables are Unicode 8.0's:
// a character assigned after 8.0 is unassigned (Cn) there. ICU knows each
// character's age, so the categories below are today's for characters of
// Unicode 8.0 or older and Cn for newer ones. Six characters of 8.0 have
// changed category since; they keep their 8.0 category here (found by
// comparing every code point with the oracle: tests/test_wordpiece.cpp).
bool newer_than_unicode_8(uint32_t c) {
  UVersionInfo age;
  u_charAge(UChar32(c), age);
  return age[0] > 8 || (age[0] == 8 && (age[1] | age[2] | age[3]) != 0);
}

UCharCategory category_v8(uint32_t c) {
  switch (c) {
    case 0x166D: return U_OTHER_PUNCTUATION;   // CANADIAN SYLLABICS CHI SIGN (So since 12.0)
    case 0x1734: return U_NON_SPACING_MARK;    // HANUNOO SIGN PAMUDPOD (Mc since 14.0)
    case 0x1885:                               // MONGOLIAN LETTER ALI GALI BALUDA,
    case 0x1886: return U_OTHER_LETTER;        // ... THREE BALUDA (Mn since 9.0)
    case 0xA9BD: return U_COMBINING_SPACING_MARK;  // JAVANESE CONSONANT SIGN KERET (Mn since 12.0)
    case 0x111C9: return U_OTHER_PUNCTUATION;  // SHARADA SANDHI MARK (Mn since 11.0)
    default: break;
  }
  if (newer_than_unicode_8(c)) return U_UNASSIGNED;
  return UCharCategory(u_charType(UChar32(c)));
}

// BertNormalizer's is_control: Cc, Cf, Co (and Cs, which UTF-8 cannot carry),
// but not the whitespace controls \t \n \r.
bool is_bert_control(uint32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (category_v8(c)) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return true;
    default:
      return false;
  }
}

bool is_nonspacing_mark(uint32_t c) { return category_v8(c) == U_NON_SPACING_MARK; }

bool is_whitespace(uint32_t c) { return u_isUWhiteSpace(UChar32(c)); }

// ASCII punctuation or a P* category (Unicode 8.0's, as above).
bool is_bert_punct(uint32_t c) {
  if (c < 128) return is_ascii_punct(c);
  switch (category_v8(c)) {
    case U_CONNECTOR_PUNCTUATION:
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
      return true;
    default:
      return false;
  }
}

// The blocks BERT calls Chinese characters (HF's is_chinese_char).
bool is_chinese(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

uint8_t char_class(uint32_t c) {
  if (is_whitespace(c)) return kSpace;
  if (is_bert_punct(c)) return kPunct;
  return kWord;
}

// Decodes the (valid) UTF-8 character at s[i]; returns its length.
inline int decode_utf8(const unsigned char* s, uint32_t& cp) {
  const unsigned char b = s[0];
  if (b < 0x80) return cp = b, 1;
  if (b < 0xE0) return cp = (uint32_t(b & 0x1F) << 6) | (s[1] & 0x3F), 2;
  if (b < 0xF0) return cp = (uint32_t(b & 0x0F) << 12) | (uint32_t(s[1] & 0x3F) << 6) | (s[2] & 0x3F), 3;
  cp = (uint32_t(b & 0x07) << 18) | (uint32_t(s[1] & 0x3F) << 12) | (uint32_t(s[2] & 0x3F) << 6) |
       (s[3] & 0x3F);
  return 4;
}

inline int encode_utf8(uint32_t c, char* out) {
  if (c < 0x80) return out[0] = char(c), 1;
  if (c < 0x800) return out[0] = char(0xC0 | (c >> 6)), out[1] = char(0x80 | (c & 0x3F)), 2;
  if (c < 0x10000) {
    out[0] = char(0xE0 | (c >> 12));
    out[1] = char(0x80 | ((c >> 6) & 0x3F));
    out[2] = char(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = char(0xF0 | (c >> 18));
  out[1] = char(0x80 | ((c >> 12) & 0x3F));
  out[2] = char(0x80 | ((c >> 6) & 0x3F));
  out[3] = char(0x80 | (c & 0x3F));
  return 4;
}

inline bool is_continuation(char b) { return (static_cast<unsigned char>(b) & 0xC0) == 0x80; }

void require_utf8(std::string_view text) {
  const size_t bad = find_invalid_utf8(text);
  BTE_REQUIRE(bad == std::string_view::npos, ErrorKind::BadInput, "invalid UTF-8 at byte ", bad,
              " of a ", text.size(), "-byte text");
}

// ---- the vocabulary's hash table --------------------------------------------------

inline uint64_t mix(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return uint64_t(r) ^ uint64_t(r >> 64);
}

inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = mix(h ^ v, 0xBF58476D1CE4E5B9ull);
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = mix(h ^ v, 0x94D049BB133111EBull);
  }
  return h;
}

// Open addressing over a pool of the pieces' bytes: piece -> id. A later
// insert of the same piece replaces the id (Hugging Face's HashMap does the
// same with a vocab.txt that lists a piece twice).
class PieceTable {
 public:
  void build(const std::vector<std::pair<std::string_view, int32_t>>& pieces) {
    size_t cap = 16;
    while (cap < pieces.size() * 2) cap *= 2;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    pool_.clear();
    for (const auto& [p, id] : pieces) pool_.append(p);
    uint32_t off = 0;
    for (const auto& [p, id] : pieces) {
      insert(off, uint32_t(p.size()), id);
      off += uint32_t(p.size());
    }
  }
  // The id of the piece s[0, n), or -1.
  int32_t find(const char* s, size_t n) const {
    const uint64_t h = hash_bytes(s, n);
    const uint32_t tag = uint32_t(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& sl = slots_[i];
      if (sl.id < 0) return -1;
      if (sl.tag == tag && sl.len == n && std::memcmp(pool_.data() + sl.off, s, n) == 0)
        return sl.id;
    }
  }

 private:
  struct Slot {
    uint32_t tag = 0, off = 0, len = 0;
    int32_t id = -1;
  };
  void insert(uint32_t off, uint32_t len, int32_t id) {
    const uint64_t h = hash_bytes(pool_.data() + off, len);
    const uint32_t tag = uint32_t(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& sl = slots_[i];
      if (sl.id < 0) {
        sl = Slot{tag, off, len, id};
        return;
      }
      if (sl.tag == tag && sl.len == len &&
          std::memcmp(pool_.data() + sl.off, pool_.data() + off, len) == 0) {
        sl.id = id;
        return;
      }
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::string pool_;
};

// Added tokens, matched leftmost-longest (as Hugging Face's Aho-Corasick with
// MatchKind::LeftmostLongest): candidates are found by their first byte.
class TokenMatcher {
 public:
  void add(std::string content, int32_t id) {
    const unsigned char first = static_cast<unsigned char>(content[0]);
    first_[first] = true;
    tokens_.push_back({std::move(content), id});
    // Longest first among those sharing a first byte, so the first hit wins.
    std::stable_sort(tokens_.begin(), tokens_.end(), [](const Tok& a, const Tok& b) {
      return a.content.size() > b.content.size();
    });
  }
  bool empty() const { return tokens_.empty(); }
  // The first match in s[from, end): its start, length and id; false if none.
  bool next(std::string_view s, size_t from, size_t& start, size_t& len, int32_t& id) const {
    for (size_t i = from; i < s.size(); ++i) {
      if (!first_[static_cast<unsigned char>(s[i])]) continue;
      for (const Tok& t : tokens_)
        if (s.compare(i, t.content.size(), t.content) == 0) {
          start = i, len = t.content.size(), id = t.id;
          return true;
        }
    }
    return false;
  }

 private:
  struct Tok {
    std::string content;
    int32_t id;
  };
  std::array<bool, 256> first_{};
  std::vector<Tok> tokens_;
};

// One text's normalized form: its UTF-8 bytes, the pre-tokenizer class of
// the character each byte belongs to, and (for offsets) the original bytes
// of that character. Reused per thread: encoding allocates nothing once warm.
struct Normalized {
  std::string bytes;
  std::vector<uint8_t> cls;
  std::vector<std::pair<int32_t, int32_t>> orig;
  bool track = false;
  void clear(bool with_offsets) {
    bytes.clear();
    cls.clear();
    orig.clear();
    track = with_offsets;
  }
  void push(uint32_t c, uint8_t k, int32_t ob, int32_t oe) {
    char buf[4];
    const int n = encode_utf8(c, buf);
    bytes.append(buf, size_t(n));
    cls.insert(cls.end(), size_t(n), k);
    if (track) orig.insert(orig.end(), size_t(n), {ob, oe});
  }
};

}  // namespace

// ---- the tokenizer's tables ----------------------------------------------------------

struct WordPieceTokenizer::Tables {
  PieceTable initial;       // every piece
  PieceTable continuation;  // pieces that begin with the prefix, without it
  size_t max_initial = 0, max_continuation = 0;  // bytes of the longest piece in each
  // The ASCII fast path: per byte, what the normalizer makes of it.
  std::array<char, 128> ascii_out{};
  std::array<uint8_t, 128> ascii_cls{};
  const UNormalizer2* nfd = nullptr;
  TokenMatcher raw_tokens, normalized_tokens;
  bool lowercase = false, strip = false, clean = false, chinese = false;

  // Appends what the normalizer makes of the character c (original bytes
  // [ob, oe)) to out.
  void normalize_char(uint32_t c, int32_t ob, int32_t oe, Normalized& out) const {
    if (c < 128) {
      const uint8_t k = ascii_cls[c];
      if (k == kDrop) return;
      out.bytes.push_back(ascii_out[c]);
      out.cls.push_back(k);
      if (out.track) out.orig.push_back({ob, oe});
      return;
    }
    if (clean) {
      if (c == 0xFFFD || is_bert_control(c)) return;
      if (is_whitespace(c)) return out.push(' ', kSpace, ob, oe);
    }
    const bool wrap = chinese && is_chinese(c);
    if (wrap) out.push(' ', kSpace, ob, oe);
    UChar32 parts[8];
    int n = 1;
    parts[0] = UChar32(c);
    if (strip) {
      UChar buf[32];
      UErrorCode err = U_ZERO_ERROR;
      // HF's NFD (the crate unicode-normalization-alignments) does not
      // decompose characters newer than Unicode 8.0 either.
      const int32_t len = newer_than_unicode_8(c)
                              ? -1
                              : unorm2_getDecomposition(nfd, UChar32(c), buf, 32, &err);
      if (U_SUCCESS(err) && len > 0) {
        n = 0;
        for (int32_t i = 0; i < len && n < 8;) {
          UChar32 d;
          U16_NEXT(buf, i, len, d);
          if (!is_nonspacing_mark(uint32_t(d))) parts[n++] = d;
        }
      } else if (is_nonspacing_mark(c)) {
        n = 0;
      }
    }
    for (int i = 0; i < n; ++i) {
      uint32_t d = uint32_t(parts[i]);
      if (lowercase) {
        if (d == 0x130) {  // İ -> i + combining dot above (Rust's to_lowercase)
          out.push('i', kWord, ob, oe);
          d = 0x307;
        } else {
          d = uint32_t(u_tolower(UChar32(d)));
        }
      }
      out.push(d, char_class(d), ob, oe);
    }
    if (wrap) out.push(' ', kSpace, ob, oe);
  }

  // The normalizer over text[b, e) (valid UTF-8), appended to out.
  void normalize(std::string_view text, size_t b, size_t e, Normalized& out) const {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    size_t i = b;
    while (i < e) {
      if (s[i] < 128) {  // ASCII run
        const uint8_t k = ascii_cls[s[i]];
        if (k != kDrop) {
          out.bytes.push_back(ascii_out[s[i]]);
          out.cls.push_back(k);
          if (out.track) out.orig.push_back({int32_t(i), int32_t(i + 1)});
        }
        ++i;
        continue;
      }
      uint32_t c;
      const int n = decode_utf8(s + i, c);
      normalize_char(c, int32_t(i), int32_t(i + size_t(n)), out);
      i += size_t(n);
    }
  }
};

std::string_view trim_end_whitespace(std::string_view s) {
  while (!s.empty()) {
    size_t b = s.size() - 1;
    while (b > 0 && is_continuation(s[b])) --b;
    uint32_t c;
    decode_utf8(reinterpret_cast<const unsigned char*>(s.data()) + b, c);
    if (!is_whitespace(c)) break;
    s = s.substr(0, b);
  }
  return s;
}

// ---- the spec ---------------------------------------------------------------------

void WordPieceSpec::set_bert_templates() {
  using K = WordPieceTemplatePiece::Kind;
  single = {{K::Special, cls_id, 0}, {K::A, -1, 0}, {K::Special, sep_id, 0}};
  pair = {{K::Special, cls_id, 0}, {K::A, -1, 0}, {K::Special, sep_id, 0},
          {K::B, -1, 1},           {K::Special, sep_id, 1}};
}

namespace {

int count_specials(const std::vector<WordPieceTemplatePiece>& t) {
  int n = 0;
  for (const auto& p : t) n += p.kind == WordPieceTemplatePiece::Kind::Special;
  return n;
}

void check_template(const std::vector<WordPieceTemplatePiece>& t, bool pair, int32_t vocab,
                    const std::string& origin) {
  using K = WordPieceTemplatePiece::Kind;
  const char* name = pair ? "pair" : "single";
  int a = 0, b = 0;
  for (const auto& p : t) {
    a += p.kind == K::A;
    b += p.kind == K::B;
    if (p.kind == K::Special)
      BTE_REQUIRE(p.id >= 0 && p.id < vocab, kBad, origin, ": the ", name,
                  " template names the special id ", p.id, ", outside the ", vocab, " ids");
    BTE_REQUIRE(p.type_id >= 0 && p.type_id < 256, kBad, origin, ": the ", name,
                " template has the type id ", p.type_id, " (bte takes 0..255)");
  }
  BTE_REQUIRE(a == 1 && b == (pair ? 1 : 0), kBad, origin, ": the ", name,
              " template must hold ", pair ? "sequences A and B once each" : "sequence A once",
              "; it holds A ", a, " times and B ", b, " times");
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(WordPieceSpec spec, const std::string& origin)
    : spec_(std::move(spec)) {
  const WordPieceSpec& s = spec_;
  BTE_REQUIRE(!s.vocab.empty(), kBad, origin, ": the WordPiece vocabulary is empty");
  BTE_REQUIRE(s.vocab.size() < (1u << 30), kBad, origin, ": the WordPiece vocabulary has ",
              s.vocab.size(), " pieces (bte takes fewer than 2^30)");
  size_t pool = 0;
  for (size_t i = 0; i < s.vocab.size(); ++i) {
    BTE_REQUIRE(find_invalid_utf8(s.vocab[i]) == std::string_view::npos, kBad, origin,
                ": vocabulary piece ", i, " is not valid UTF-8");
    pool += s.vocab[i].size();
  }
  BTE_REQUIRE(pool < (1ull << 31), kBad, origin, ": the vocabulary's pieces are too long");
  BTE_REQUIRE(s.max_input_chars_per_word >= 0, kBad, origin, ": max_input_chars_per_word is ",
              s.max_input_chars_per_word);
  // The id space: the vocabulary, then added tokens beyond it, without gaps.
  int64_t top = int64_t(s.vocab.size());
  {
    std::vector<int32_t> beyond;
    for (const auto& t : s.added_tokens) {
      BTE_REQUIRE(!t.content.empty(), kBad, origin, ": added token ", t.id, " is empty");
      BTE_REQUIRE(find_invalid_utf8(t.content) == std::string_view::npos, kBad, origin,
                  ": added token ", t.id, " is not valid UTF-8");
      BTE_REQUIRE(t.id >= 0, kBad, origin, ": added token \"", t.content, "\" has the id ", t.id);
      if (t.id >= int64_t(s.vocab.size())) beyond.push_back(t.id);
    }
    std::sort(beyond.begin(), beyond.end());
    for (int32_t id : beyond) {
      BTE_REQUIRE(id == top, kBad, origin, ": added token id ", id, " leaves a gap after id ",
                  top - 1, " (the ids must follow the ", s.vocab.size(),
                  "-piece vocabulary without gaps)");
      ++top;
    }
  }
  vocab_size_ = int32_t(top);
  // unk_token must be a piece; unk_id is its id (the last one, as HF's map).
  int32_t unk = -1;
  for (size_t i = 0; i < s.vocab.size(); ++i)
    if (s.vocab[i] == s.unk_token) unk = int32_t(i);
  BTE_REQUIRE(unk >= 0, kBad, origin, ": the unk token \"", s.unk_token,
              "\" is not in the WordPiece vocabulary");
  BTE_REQUIRE(s.unk_id == -1 || s.unk_id == unk, kBad, origin, ": unk_id is ", s.unk_id,
              " but the unk token \"", s.unk_token, "\" has the id ", unk);
  spec_.unk_id = unk;
  for (const auto& [name, id] : {std::pair{"cls_id", s.cls_id}, {"sep_id", s.sep_id},
                                 {"mask_id", s.mask_id}, {"pad_id", s.pad_id}})
    BTE_REQUIRE(id >= -1 && id < vocab_size_, kBad, origin, ": ", name, " is ", id,
                ", outside the ", vocab_size_, " ids");
  BTE_REQUIRE(s.pad_id >= 0, kBad, origin, ": the tokenizer has no padding token");
  check_template(s.single, false, vocab_size_, origin);
  check_template(s.pair, true, vocab_size_, origin);
  n_single_specials_ = count_specials(s.single);
  n_pair_specials_ = count_specials(s.pair);

  auto t = std::make_unique<Tables>();
  t->lowercase = s.lowercase;
  t->strip = s.strips_accents();
  t->clean = s.clean_text;
  t->chinese = s.handle_chinese_chars;
  for (uint32_t c = 0; c < 128; ++c) {
    char out = char(c);
    uint8_t k = c == ' ' || (c >= '\t' && c <= '\r') ? kSpace : is_ascii_punct(c) ? kPunct : kWord;
    if (s.clean_text && (c == 0 || c == 127 || (c < 32 && c != '\t' && c != '\n' && c != '\r')))
      k = kDrop;
    if (s.clean_text && (c == '\t' || c == '\n' || c == '\r')) out = ' ';
    if (s.lowercase && c >= 'A' && c <= 'Z') out = char(c + 32);
    t->ascii_out[c] = out;
    t->ascii_cls[c] = k;
  }
  if (t->strip) {
    UErrorCode err = U_ZERO_ERROR;
    t->nfd = unorm2_getNFDInstance(&err);
    BTE_CHECK(U_SUCCESS(err) && t->nfd, "ICU's NFD normalizer is unavailable: ", u_errorName(err));
  }
  std::vector<std::pair<std::string_view, int32_t>> all, cont;
  all.reserve(s.vocab.size());
  const std::string_view prefix = s.continuing_subword_prefix;
  for (size_t i = 0; i < s.vocab.size(); ++i) {
    const std::string_view p = s.vocab[i];
    all.push_back({p, int32_t(i)});
    t->max_initial = std::max(t->max_initial, p.size());
    if (p.size() > prefix.size() && p.substr(0, prefix.size()) == prefix) {
      cont.push_back({p.substr(prefix.size()), int32_t(i)});
      t->max_continuation = std::max(t->max_continuation, p.size() - prefix.size());
    }
  }
  t->initial.build(all);
  t->continuation.build(cont);
  for (const auto& a : s.added_tokens) {
    if (!a.normalized) {
      t->raw_tokens.add(a.content, a.id);
      continue;
    }
    Normalized n;
    n.clear(false);
    t->normalize(a.content, 0, a.content.size(), n);
    BTE_REQUIRE(!n.bytes.empty(), kBad, origin, ": added token \"", a.content,
                "\" is empty once normalized");
    t->normalized_tokens.add(n.bytes, a.id);
  }
  tables_ = std::move(t);
}

WordPieceTokenizer::WordPieceTokenizer(WordPieceTokenizer&&) noexcept = default;
WordPieceTokenizer& WordPieceTokenizer::operator=(WordPieceTokenizer&&) noexcept = default;
WordPieceTokenizer::~WordPieceTokenizer() = default;

TokenizerSettings WordPieceTokenizer::settings() const {
  return {{"lowercase", spec_.lowercase},
          {"strip_accents", spec_.strips_accents()},
          {"clean_text", spec_.clean_text},
          {"handle_chinese_chars", spec_.handle_chinese_chars},
          {"max_input_chars_per_word", spec_.max_input_chars_per_word},
          {"vocab_size", vocab_size_},
          {"cls_id", spec_.cls_id},
          {"sep_id", spec_.sep_id},
          {"pad_id", spec_.pad_id},
          {"mask_id", spec_.mask_id},
          {"unk_id", spec_.unk_id}};
}

std::string WordPieceTokenizer::id_to_piece(int32_t id) const {
  if (id < 0 || id >= vocab_size_) return "<out-of-range>";
  if (size_t(id) < spec_.vocab.size()) return spec_.vocab[size_t(id)];
  for (const auto& a : spec_.added_tokens)
    if (a.id == id) return a.content;
  return "<out-of-range>";
}

// ---- encoding ------------------------------------------------------------------------

namespace {

using Offsets = std::vector<std::pair<int32_t, int32_t>>;

// WordPiece on the word n.bytes[b, e): greedy longest match first.
void wordpiece(const WordPieceSpec& spec, const PieceTable& initial, const PieceTable& cont,
               size_t max_initial, size_t max_cont, const Normalized& n, size_t b, size_t e,
               std::vector<int32_t>& ids, Offsets* offsets) {
  const char* w = n.bytes.data();
  const size_t first = ids.size();
  bool bad = false;
  if (e - b > size_t(spec.max_input_chars_per_word)) {  // bytes >= chars: count only then
    size_t chars = 0;
    for (size_t i = b; i < e; ++i) chars += !is_continuation(w[i]);
    bad = chars > size_t(spec.max_input_chars_per_word);
  }
  size_t start = b;
  while (!bad && start < e) {
    const size_t longest = start == b ? max_initial : max_cont;
    size_t end = e - start > longest ? start + longest : e;
    while (end > start && end < e && is_continuation(w[end])) --end;  // a character boundary
    int32_t id = -1;
    while (end > start) {
      id = start == b ? initial.find(w + start, end - start) : cont.find(w + start, end - start);
      if (id >= 0) break;
      do --end;
      while (end > start && is_continuation(w[end]));
    }
    if (id < 0) {
      bad = true;
      break;
    }
    ids.push_back(id);
    if (offsets) offsets->push_back({n.orig[start].first, n.orig[end - 1].second});
    start = end;
  }
  if (bad) {
    ids.resize(first);
    ids.push_back(spec.unk_id);
    if (offsets) {
      offsets->resize(first);
      offsets->push_back({n.orig[b].first, n.orig[e - 1].second});
    }
  }
}

}  // namespace

void WordPieceTokenizer::tokenize(std::string_view text, std::vector<int32_t>& ids,
                                  Offsets* offsets) const {
  require_utf8(text);
  const Tables& t = *tables_;
  thread_local Normalized n;
  // The pre-tokenizer and the model over n.bytes[b, e).
  auto words = [&](size_t b, size_t e) {
    size_t word = std::string::npos;
    for (size_t i = b; i < e;) {
      size_t len = 1;
      while (i + len < e && is_continuation(n.bytes[i + len])) ++len;
      const uint8_t k = n.cls[i];
      if (k == kWord) {
        if (word == std::string::npos) word = i;
      } else {
        if (word != std::string::npos)
          wordpiece(spec_, t.initial, t.continuation, t.max_initial, t.max_continuation, n, word,
                    i, ids, offsets);
        word = std::string::npos;
        if (k == kPunct)
          wordpiece(spec_, t.initial, t.continuation, t.max_initial, t.max_continuation, n, i,
                    i + len, ids, offsets);
      }
      i += len;
    }
    if (word != std::string::npos)
      wordpiece(spec_, t.initial, t.continuation, t.max_initial, t.max_continuation, n, word, e,
                ids, offsets);
  };
  // A piece of the text between raw added tokens: normalize, then the
  // normalized added tokens, then words.
  auto segment = [&](size_t b, size_t e) {
    n.clear(offsets != nullptr);
    t.normalize(text, b, e, n);
    const std::string_view nb = n.bytes;
    size_t from = 0, start, len;
    int32_t id;
    while (!t.normalized_tokens.empty() && t.normalized_tokens.next(nb, from, start, len, id)) {
      words(from, start);
      ids.push_back(id);
      if (offsets) offsets->push_back({n.orig[start].first, n.orig[start + len - 1].second});
      from = start + len;
    }
    words(from, nb.size());
  };
  size_t from = 0, start, len;
  int32_t id;
  while (!t.raw_tokens.empty() && t.raw_tokens.next(text, from, start, len, id)) {
    if (start > from) segment(from, start);
    ids.push_back(id);
    if (offsets) offsets->push_back({int32_t(start), int32_t(start + len)});
    from = start + len;
  }
  if (from < text.size()) segment(from, text.size());
}

std::vector<std::string> WordPieceTokenizer::words(std::string_view text) const {
  require_utf8(text);
  Normalized n;
  n.clear(false);
  tables_->normalize(text, 0, text.size(), n);
  std::vector<std::string> out;
  bool open = false;
  for (size_t i = 0; i < n.bytes.size();) {
    size_t len = 1;
    while (i + len < n.bytes.size() && is_continuation(n.bytes[i + len])) ++len;
    const uint8_t k = n.cls[i];
    if (k == kWord) {
      if (!open) out.emplace_back();
      out.back().append(n.bytes, i, len);
      open = true;
    } else {
      open = false;
      if (k == kPunct) out.emplace_back(n.bytes, i, len);
    }
    i += len;
  }
  return out;
}

namespace {

// Fills e from a template: A's (and B's) kept tokens in place of the
// sequences, the specials as they are.
void apply_template(const std::vector<WordPieceTemplatePiece>& tmpl, const std::vector<int32_t>& a,
                    size_t na, const Offsets* a_off, const std::vector<int32_t>* b, size_t nb,
                    bool with_types, Encoding& e) {
  using K = WordPieceTemplatePiece::Kind;
  for (const auto& p : tmpl) {
    const size_t before = e.ids.size();
    if (p.kind == K::Special) {
      e.ids.push_back(p.id);
      if (a_off) e.offsets.push_back({0, 0});
    } else if (p.kind == K::A) {
      e.ids.insert(e.ids.end(), a.begin(), a.begin() + ptrdiff_t(na));
      if (a_off) e.offsets.insert(e.offsets.end(), a_off->begin(), a_off->begin() + ptrdiff_t(na));
    } else {
      e.ids.insert(e.ids.end(), b->begin(), b->begin() + ptrdiff_t(nb));
    }
    if (with_types) e.type_ids.insert(e.type_ids.end(), e.ids.size() - before, p.type_id);
  }
}

bool any_type(const std::vector<WordPieceTemplatePiece>& t) {
  for (const auto& p : t)
    if (p.type_id != 0) return true;
  return false;
}

}  // namespace

Encoding WordPieceTokenizer::encode_single(std::string_view text, int max_tokens,
                                           bool with_offsets) const {
  BTE_CHECK(max_tokens >= n_single_specials_, "max_tokens (", max_tokens,
            ") must leave room for the template's ", n_single_specials_, " specials");
  thread_local std::vector<int32_t> a;
  thread_local Offsets off;
  a.clear();
  off.clear();
  tokenize(text, a, with_offsets ? &off : nullptr);
  const size_t keep = std::min(a.size(), size_t(max_tokens - n_single_specials_));
  Encoding e;
  e.full_length = int64_t(a.size()) + n_single_specials_;
  e.ids.reserve(keep + size_t(n_single_specials_));
  apply_template(spec_.single, a, keep, with_offsets ? &off : nullptr, nullptr, 0,
                 any_type(spec_.single), e);
  return e;
}

Encoding WordPieceTokenizer::encode(std::string_view text, int max_tokens) const {
  return encode_single(text, max_tokens, false);
}

Encoding WordPieceTokenizer::encode_with_offsets(std::string_view text, int max_tokens) const {
  return encode_single(text, max_tokens, true);
}

Encoding WordPieceTokenizer::encode_pair(std::string_view first, std::string_view second,
                                         int max_tokens) const {
  BTE_CHECK(max_tokens >= n_pair_specials_, "max_tokens (", max_tokens,
            ") must leave room for the pair template's ", n_pair_specials_, " specials");
  thread_local std::vector<int32_t> a, b;
  a.clear();
  b.clear();
  tokenize(first, a, nullptr);
  tokenize(second, b, nullptr);
  const auto [na, nb] = longest_first(a.size(), b.size(), size_t(max_tokens - n_pair_specials_));
  Encoding e;
  e.full_length = int64_t(a.size() + b.size()) + n_pair_specials_;
  e.ids.reserve(na + nb + size_t(n_pair_specials_));
  apply_template(spec_.pair, a, na, nullptr, &b, nb, true, e);
  return e;
}

// ---- the bytes a .bte file embeds --------------------------------------------------

namespace {

using nlohmann::json;
constexpr const char* kFormat = "bte-wordpiece";
constexpr int kVersion = 1;

json template_json(const std::vector<WordPieceTemplatePiece>& t) {
  using K = WordPieceTemplatePiece::Kind;
  json out = json::array();
  for (const auto& p : t) {
    if (p.kind == K::Special)
      out.push_back({{"special", p.id}, {"type_id", p.type_id}});
    else
      out.push_back({{"sequence", p.kind == K::A ? "A" : "B"}, {"type_id", p.type_id}});
  }
  return out;
}

// Strict field access for from_bytes: each failure names the field.
struct Reader {
  const json& root;
  const std::string& origin;
  const json& get(const json& obj, const char* key, const std::string& path) const {
    BTE_REQUIRE(obj.is_object() && obj.contains(key), kBad, origin,
                ": the wordpiece tokenizer's bytes lack '", path, key, "'");
    return obj[key];
  }
  bool boolean(const char* key) const {
    const json& v = get(root, key, "");
    BTE_REQUIRE(v.is_boolean(), kBad, origin, ": wordpiece field '", key, "' must be true or false");
    return v.get<bool>();
  }
  int32_t integer(const json& obj, const char* key, const std::string& path, int64_t lo) const {
    const json& v = get(obj, key, path);
    BTE_REQUIRE(v.is_number_integer() && v.get<int64_t>() >= lo &&
                    v.get<int64_t>() <= std::numeric_limits<int32_t>::max(),
                kBad, origin, ": wordpiece field '", path, key, "' must be an integer >= ", lo);
    return int32_t(v.get<int64_t>());
  }
  std::string string(const json& obj, const char* key, const std::string& path) const {
    const json& v = get(obj, key, path);
    BTE_REQUIRE(v.is_string(), kBad, origin, ": wordpiece field '", path, key, "' must be a string");
    return v.get<std::string>();
  }
  std::vector<WordPieceTemplatePiece> templ(const char* key) const {
    using K = WordPieceTemplatePiece::Kind;
    const json& v = get(root, key, "");
    BTE_REQUIRE(v.is_array(), kBad, origin, ": wordpiece field '", key, "' must be an array");
    std::vector<WordPieceTemplatePiece> out;
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string path = std::string(key) + "[" + std::to_string(i) + "].";
      WordPieceTemplatePiece p;
      p.type_id = integer(v[i], "type_id", path, 0);
      if (v[i].is_object() && v[i].contains("special")) {
        p.id = integer(v[i], "special", path, 0);
      } else {
        const std::string seq = string(v[i], "sequence", path);
        BTE_REQUIRE(seq == "A" || seq == "B", kBad, origin, ": wordpiece field '", path,
                    "sequence' must be \"A\" or \"B\"");
        p.kind = seq == "A" ? K::A : K::B;
      }
      out.push_back(p);
    }
    return out;
  }
};

}  // namespace

std::string WordPieceTokenizer::to_bytes() const {
  const WordPieceSpec& s = spec_;
  json added = json::array();
  for (const auto& a : s.added_tokens)
    added.push_back({{"id", a.id}, {"content", a.content}, {"special", a.special},
                     {"normalized", a.normalized}});
  json j = {{"format", kFormat},
            {"version", kVersion},
            {"lowercase", s.lowercase},
            {"strip_accents", s.strip_accents ? json(*s.strip_accents) : json(nullptr)},
            {"clean_text", s.clean_text},
            {"handle_chinese_chars", s.handle_chinese_chars},
            {"continuing_subword_prefix", s.continuing_subword_prefix},
            {"unk_token", s.unk_token},
            {"max_input_chars_per_word", s.max_input_chars_per_word},
            {"cls_id", s.cls_id},
            {"sep_id", s.sep_id},
            {"pad_id", s.pad_id},
            {"mask_id", s.mask_id},
            {"single", template_json(s.single)},
            {"pair", template_json(s.pair)},
            {"added_tokens", std::move(added)},
            {"vocab", s.vocab}};
  return j.dump();
}

WordPieceTokenizer WordPieceTokenizer::from_bytes(std::string_view bytes,
                                                  const std::string& origin) {
  BTE_REQUIRE(!bytes.empty(), kBad, origin, ": the wordpiece tokenizer's bytes are empty");
  json j;
  try {
    j = json::parse(bytes);
  } catch (const json::exception& e) {
    BTE_FAIL(kBad, origin, ": the wordpiece tokenizer's bytes are not valid JSON: ", e.what());
  }
  BTE_REQUIRE(j.is_object() && j.contains("format") && j["format"] == kFormat, kBad, origin,
              ": the wordpiece tokenizer's bytes do not start a \"", kFormat, "\" object");
  const Reader r{j, origin};
  const int32_t version = r.integer(j, "version", "", 0);
  BTE_REQUIRE(version == kVersion, kBad, origin, ": wordpiece tokenizer format version ", version,
              " is not one this bte reads (", kVersion, ")");
  WordPieceSpec s;
  s.lowercase = r.boolean("lowercase");
  const json& sa = r.get(j, "strip_accents", "");
  BTE_REQUIRE(sa.is_null() || sa.is_boolean(), kBad, origin,
              ": wordpiece field 'strip_accents' must be true, false or null");
  if (sa.is_boolean()) s.strip_accents = sa.get<bool>();
  s.clean_text = r.boolean("clean_text");
  s.handle_chinese_chars = r.boolean("handle_chinese_chars");
  s.continuing_subword_prefix = r.string(j, "continuing_subword_prefix", "");
  s.unk_token = r.string(j, "unk_token", "");
  s.max_input_chars_per_word = r.integer(j, "max_input_chars_per_word", "", 0);
  s.cls_id = r.integer(j, "cls_id", "", -1);
  s.sep_id = r.integer(j, "sep_id", "", -1);
  s.pad_id = r.integer(j, "pad_id", "", -1);
  s.mask_id = r.integer(j, "mask_id", "", -1);
  s.single = r.templ("single");
  s.pair = r.templ("pair");
  const json& added = r.get(j, "added_tokens", "");
  BTE_REQUIRE(added.is_array(), kBad, origin, ": wordpiece field 'added_tokens' must be an array");
  for (size_t i = 0; i < added.size(); ++i) {
    const std::string path = "added_tokens[" + std::to_string(i) + "].";
    WordPieceAddedToken a;
    a.id = r.integer(added[i], "id", path, 0);
    a.content = r.string(added[i], "content", path);
    for (auto [key, field] : {std::pair{"special", &a.special}, {"normalized", &a.normalized}}) {
      const json& v = r.get(added[i], key, path);
      BTE_REQUIRE(v.is_boolean(), kBad, origin, ": wordpiece field '", path, key,
                  "' must be true or false");
      *field = v.get<bool>();
    }
    s.added_tokens.push_back(std::move(a));
  }
  const json& vocab = r.get(j, "vocab", "");
  BTE_REQUIRE(vocab.is_array(), kBad, origin, ": wordpiece field 'vocab' must be an array");
  s.vocab.reserve(vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) {
    BTE_REQUIRE(vocab[i].is_string(), kBad, origin, ": wordpiece field 'vocab[", i,
                "]' must be a string");
    s.vocab.push_back(vocab[i].get<std::string>());
  }
  return WordPieceTokenizer(std::move(s), origin);
}

}  // namespace bte
