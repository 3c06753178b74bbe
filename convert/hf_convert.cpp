#include "convert/hf_convert.h"

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "base/atomic_file.h"
#include "base/check.h"
#include "models/family.h"
#include "weights/bte_writer.h"
#include "weights/json_fields.h"
#include "convert/hf_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "convert/safetensors.h"
#include "convert/sentence_transformers.h"
#include "kernels/reference/quantize.h"
#include "models/tensor_layout.h"

namespace bte {

namespace {

namespace jf = json_fields;
using nlohmann::json;
constexpr ErrorKind kBad = ErrorKind::BadModel;

std::string base_name(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const size_t slash = dir.rfind('/');
  return slash == std::string::npos ? dir : dir.substr(slash + 1);
}

// ---- config.json ------------------------------------------------------------

struct HfConfig {
  const ModelFamily* family = nullptr;
  ModelConfig config;  // labels empty: id2label is read only for a kept head
  std::string architecture;
  bool classifier = false;  // *ForSequenceClassification
  bool tagger = false;      // *ForTokenClassification
  json id2label;            // as in config.json; null when absent
  std::string problem_type;  // "" when absent
};

// id2label's names in id order. Its keys must be exactly "0".."N-1" and each
// name a label (validate_labels); throws Error(BadModel) naming the key or label.
std::vector<std::string> labels_of(const json& m, const std::string& path) {
  const std::string where = path + ": config.json field 'id2label'";
  BTE_REQUIRE(m.is_object(), kBad, where, " must be an object, got ", jf::brief(m));
  for (auto it = m.begin(); it != m.end(); ++it) {
    const std::string& k = it.key();
    size_t id = 0;
    bool canonical = !k.empty() && k.size() <= 6 && (k == "0" || k[0] != '0');
    for (char ch : k) canonical = canonical && ch >= '0' && ch <= '9';
    if (canonical) id = std::stoul(k);
    BTE_REQUIRE(canonical && id < m.size(), kBad, where, " has key ", escape_label(k), " among ",
                m.size(), " entries; the keys must be the ids \"0\" to \"", m.size() - 1, "\"");
    BTE_REQUIRE(it.value().is_string(), kBad, where, ": id \"", k,
                "\" must name its label with a string, got ", jf::brief(it.value()));
  }
  std::vector<std::string> labels;
  for (size_t i = 0; i < m.size(); ++i) labels.push_back(m[std::to_string(i)].get<std::string>());
  validate_labels(labels, kBad, where);
  return labels;
}

HfConfig read_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  BTE_REQUIRE(path_exists(path), kBad, dir, ": no config.json (is this a Hugging Face model directory?)");
  const json j =
      jf::parse(read_regular_file(path, "config.json", kBad, 16 << 20), path, "config.json");
  BTE_REQUIRE(j.is_object(), kBad, path, ": config.json must be a JSON object");
  const char* F = "config.json field";
  HfConfig h;
  const std::string model_type = jf::get_string(j, "model_type", path, "", F);
  h.family = family_for_hf_model_type(model_type);
  if (!h.family) {
    std::string known;
    for (const ModelFamily* f : model_families())
      for (const std::string& t : f->hf_model_types) known += (known.empty() ? "\"" : ", \"") + t + "\"";
    BTE_FAIL(kBad, path, ": unsupported model_type \"", model_type,
             "\" (bte converts these model types: ", known, ")");
  }
  const ModelFamily& fam = *h.family;
  if (const json* a = jf::find(j, "architectures"); a && !a->is_null()) {
    BTE_REQUIRE(a->is_array() && a->size() == 1 && (*a)[0].is_string(), kBad, path,
                ": config.json field 'architectures' must list one name, got ", jf::brief(*a));
    h.architecture = (*a)[0].get<std::string>();
  } else {
    h.architecture = fam.hf_encoder_architectures.front();
  }
  auto listed = [&](const std::vector<std::string>& names) {
    for (const std::string& n : names)
      if (n == h.architecture) return true;
    return false;
  };
  h.classifier = listed(fam.hf_classifier_architectures);
  h.tagger = listed(fam.hf_token_classifier_architectures);
  if (!h.classifier && !h.tagger && !listed(fam.hf_encoder_architectures)) {
    std::string known;
    for (const auto* names : {&fam.hf_encoder_architectures, &fam.hf_classifier_architectures,
                              &fam.hf_token_classifier_architectures})
      for (const std::string& n : *names) known += (known.empty() ? "" : ", ") + n;
    BTE_FAIL(kBad, path, ": unsupported architecture \"", h.architecture, "\" (supported for ",
             fam.name, ": ", known, ")");
  }

  ModelConfig& c = h.config;
  c.family = fam.name;
  const HfConfigKeys& k = fam.hf_keys;  // the family's names for its sizes
  c.layers = int(jf::get_int(j, k.layers, path, "", 1, ConfigLimits::kMaxLayers, F));
  c.hidden = int(jf::get_int(j, k.hidden, path, "", 1, ConfigLimits::kMaxHidden, F));
  c.heads = int(jf::get_int(j, k.heads, path, "", 1, ConfigLimits::kMaxHidden, F));
  c.ffn = int(jf::get_int(j, k.ffn, path, "", 1, ConfigLimits::kMaxFfn, F));
  c.vocab = int(jf::get_int(j, "vocab_size", path, "", 1, ConfigLimits::kMaxVocab, F));
  c.max_positions =
      int(jf::get_int(j, "max_position_embeddings", path, "", 1, ConfigLimits::kMaxPositions, F));
  // Absent fields take Hugging Face's defaults for the family's configs.
  c.pad_id = jf::find(j, "pad_token_id") && !j["pad_token_id"].is_null()
                 ? int(jf::get_int(j, "pad_token_id", path, "", 0, ConfigLimits::kMaxVocab, F))
                 : fam.hf_default_pad_id;
  c.layer_norm_eps = !k.layer_norm_eps.empty() && jf::find(j, k.layer_norm_eps)
                         ? float(jf::get_number(j, k.layer_norm_eps, path, "", F))
                         : fam.hf_default_layer_norm_eps;
  switch (fam.token_types) {
    case TokenTypes::None: c.token_types = 0; break;
    case TokenTypes::One: c.token_types = 1; break;
    case TokenTypes::FromConfig:
      c.token_types = jf::find(j, k.token_types)
                          ? int(jf::get_int(j, k.token_types, path, "", 1,
                                            ConfigLimits::kMaxTokenTypes, F))
                          : fam.hf_default_token_types;
      break;
  }
  c.activation = jf::find(j, k.activation) ? jf::get_string(j, k.activation, path, "", F) : "gelu";
  BTE_REQUIRE(c.activation == fam.activation, kBad, path, ": ", k.activation, " \"", c.activation,
              "\" is not supported (bte implements exact erf \"", fam.activation, "\" only)");
  if (jf::find(j, "position_embedding_type")) {
    const std::string pe = jf::get_string(j, "position_embedding_type", path, "", F);
    BTE_REQUIRE(pe == "absolute", kBad, path, ": position_embedding_type \"", pe,
                "\" is not supported (only \"absolute\")");
  }
  for (const char* flag : {"is_decoder", "add_cross_attention"}) {
    const json* v = jf::find(j, flag);
    BTE_REQUIRE(!v || !v->is_boolean() || !v->get<bool>(), kBad, path, ": ", flag,
                " is true: bte runs encoders only");
  }
  for (const auto& [key, want] : fam.hf_fixed_ids) {
    if (!jf::find(j, key) || j[key].is_null()) continue;
    const int64_t v = jf::get_int(j, key, path, "", INT32_MIN, INT32_MAX, F);
    BTE_REQUIRE(v == want, kBad, path, ": ", key, " is ", v, "; bte's ", fam.tokenizer_kinds.front(),
                " tokenizer for ", fam.name, " fixes it at ", want);
  }
  if (const json* m = jf::find(j, "id2label")) h.id2label = *m;
  if (const json* p = jf::find(j, "problem_type"); p && !p->is_null())
    h.problem_type = jf::get_string(j, "problem_type", path, "", F);
  return h;
}

// ---- the weights ---------------------------------------------------------------

struct Checkpoint {
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  std::map<std::string, const SafetensorsFile::Tensor*, std::less<>> tensors;  // by HF name
  std::map<std::string, std::string, std::less<>> file_of;                    // HF name -> file
  std::string where;  // what messages call the whole set
};

void reject_unsafe_formats(const std::string& dir) {
  for (const char* bin : {"pytorch_model.bin", "pytorch_model.bin.index.json"}) {
    BTE_REQUIRE(!path_exists(dir + "/" + bin), kBad, dir, ": has ", bin,
                " but no model.safetensors. Pickled PyTorch checkpoints can run code when loaded, "
                "so bte does not read them. Convert it to safetensors first, e.g. with "
                "transformers: `AutoModel.from_pretrained(DIR).save_pretrained(DIR, "
                "safe_serialization=True)`, or with torch + safetensors: "
                "`safetensors.torch.save_file({k: v.contiguous() for k, v in "
                "torch.load('pytorch_model.bin', map_location='cpu').items()}, "
                "'model.safetensors')`");
  }
  BTE_FAIL(kBad, dir, ": no model.safetensors or model.safetensors.index.json");
}

Checkpoint open_checkpoint(const std::string& dir) {
  Checkpoint ck;
  const std::string single = dir + "/model.safetensors";
  const std::string index = dir + "/model.safetensors.index.json";
  if (path_exists(single)) {
    ck.where = single;
    ck.files.push_back(std::make_unique<SafetensorsFile>(SafetensorsFile::open(single)));
    for (const auto& [name, t] : ck.files[0]->tensors()) {
      ck.tensors[name] = &t;
      ck.file_of[name] = "model.safetensors";
    }
    return ck;
  }
  if (!path_exists(index)) reject_unsafe_formats(dir);
  ck.where = index;
  const json j = jf::parse(read_regular_file(index, "safetensors index", kBad, 64 << 20), index,
                           "safetensors index", 8);
  const json& map = jf::get(j, "weight_map", index, "", "index field");
  BTE_REQUIRE(map.is_object() && !map.empty(), kBad, index,
              ": 'weight_map' must be a non-empty object");
  std::map<std::string, const SafetensorsFile*> shards;
  for (auto it = map.begin(); it != map.end(); ++it) {
    BTE_REQUIRE(it.value().is_string(), kBad, index, ": weight_map entry '", it.key(),
                "' must name a file");
    const std::string fname = it.value().get<std::string>();
    BTE_REQUIRE(!fname.empty() && fname.find('/') == std::string::npos && fname != "." &&
                    fname != "..",
                kBad, index, ": weight_map entry '", it.key(), "' names \"", fname,
                "\"; shards must be plain file names inside the model directory");
    if (!shards.count(fname)) {
      ck.files.push_back(std::make_unique<SafetensorsFile>(SafetensorsFile::open(dir + "/" + fname)));
      shards[fname] = ck.files.back().get();
    }
    const SafetensorsFile::Tensor* t = shards[fname]->find(it.key());
    BTE_REQUIRE(t != nullptr, kBad, dir, "/", fname, ": tensor '", it.key(),
                "' is not in this shard, though ", index, " says it is");
    ck.tensors[it.key()] = t;
    ck.file_of[it.key()] = fname;
  }
  for (const auto& [fname, shard] : shards)
    for (const auto& [name, t] : shard->tensors()) {
      auto where = ck.file_of.find(name);
      BTE_REQUIRE(where != ck.file_of.end() && where->second == fname, kBad, dir, "/", fname,
                  ": tensor '", name, "' is not listed for this shard in ", index);
    }
  return ck;
}

// ---- the plan: every output tensor and where its bytes come from ------------------

struct Piece {
  const SafetensorsFile::Tensor* src = nullptr;  // nullptr: generated
  size_t first = 0, count = 0;                   // elements
};
struct Planned {
  TensorSpec spec;
  std::vector<Piece> pieces;
  uint64_t random_stream = 0;  // for generated pieces: 0 zeros, else N(0, 0.02²) stream id
  bool scales = false;         // the scales of the int8 tensor planned just before it
};

class Planner {
 public:
  Planner(const Checkpoint& ck, const ModelFamily& fam, const ModelConfig& c, DType dt)
      : ck_(ck), fam_(fam), c_(c), dt_(dt) {
    const std::string& pre = fam.hf_prefix;
    for (const auto& [name, t] : ck.tensors) {
      std::string key = name;
      if (!pre.empty() && key.rfind(pre, 0) == 0) key = key.substr(pre.size());
      BTE_REQUIRE(by_key_.emplace(key, name).second, kBad, ck.where, ": tensors '", name,
                  "' and '", by_key_[key], "' differ only by the '", pre, "' prefix");
    }
  }

  // Source tensor `key` (without the family's prefix), checked against
  // `shape` (a -1 there takes any size >= 1).
  const SafetensorsFile::Tensor* take(const std::string& key, const std::vector<int64_t>& shape) {
    auto it = by_key_.find(key);
    BTE_REQUIRE(it != by_key_.end(), kBad, ck_.where, ": tensor '", key, "' (with or without the '",
                fam_.hf_prefix, "' prefix) is missing; config.json implies it (", c_.layers,
                " layers, hidden ", c_.hidden, ")");
    const SafetensorsFile::Tensor* t = ck_.tensors.find(it->second)->second;
    const std::string file = ck_.file_of.find(it->second)->second;
    bool fits = t->shape.size() == shape.size();
    for (size_t k = 0; fits && k < shape.size(); ++k)
      fits = shape[k] < 0 ? t->shape[k] >= 1 : t->shape[k] == shape[k];
    BTE_REQUIRE(fits, kBad, file, ": tensor '", it->second, "' has shape ", shape_str(t->shape),
                " but config.json implies ", shape_str(shape));
    BTE_REQUIRE(t->dtype == "F32" || t->dtype == "F16" || t->dtype == "BF16", kBad, file,
                ": tensor '", it->second, "' has dtype ", t->dtype,
                "; bte converts F32, F16 and BF16 weights");
    used_.insert(it->second);
    return t;
  }

  // The canonical tensor `spec` made as `r` says: its sources whole and
  // concatenated, or the first row of its one source.
  void follow(const TensorRecipe& r, const TensorSpec& spec) {
    BTE_CHECK(r.canonical == spec.name, "recipe for '", r.canonical, "' met tensor '", spec.name,
              "'");
    std::vector<Piece> pieces;
    for (const HfSource& part : r.parts) {
      const auto* t = take(part.name, part.shape);
      const size_t n = size_t(t->elements());
      pieces.push_back({t, 0, r.first_row ? n / size_t(t->shape[0]) : n});
    }
    plan.push_back({spec, std::move(pieces), 0});
  }

  // Names left over, minus the ones we ignore by design.
  std::vector<std::string> leftovers(std::vector<std::string>* ignored) const {
    std::vector<std::string> out;
    for (const auto& [key, name] : by_key_) {
      if (used_.count(name)) continue;
      (this->ignored(key) ? *ignored : out).push_back(name);
    }
    return out;
  }
  bool has(const std::string& key) const { return by_key_.count(key) > 0; }
  // A name the family ignores when nothing uses it (BERT's pooler in a bare encoder).
  bool ignored(const std::string& key) const {
    for (const std::string& prefix : fam_.hf_ignored)
      if (key.rfind(prefix, 0) == 0) return true;
    return false;
  }
  // Source tensor `key` (without the prefix) or null; not marked as used.
  const SafetensorsFile::Tensor* find(const std::string& key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : ck_.tensors.find(it->second)->second;
  }

  std::vector<Planned> plan;

 private:
  const Checkpoint& ck_;
  const ModelFamily& fam_;
  const ModelConfig& c_;
  DType dt_;
  std::map<std::string, std::string, std::less<>> by_key_;  // key -> HF name
  std::set<std::string> used_;
};

// ---- writing ---------------------------------------------------------------------

float load_elem(const unsigned char* p, const std::string& dt) {
  if (dt == "F32") {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, p, 2);
  return dt == "BF16" ? bf16_to_float(h) : fp16_to_float(h);
}

// Index of the first NaN or infinity among n elements of dtype `dt`, or n:
// the exponent bits alone tell, so every chunk is checked as it streams past.
size_t first_non_finite(const unsigned char* p, size_t n, const std::string& dt) {
  if (dt == "F32") {
    for (size_t i = 0; i < n; ++i) {
      uint32_t u;
      std::memcpy(&u, p + 4 * i, 4);
      if ((u & 0x7F800000u) == 0x7F800000u) return i;
    }
    return n;
  }
  const uint16_t e = dt == "BF16" ? 0x7F80 : 0x7C00;  // F16
  for (size_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    if ((h & e) == e) return i;
  }
  return n;
}

std::string number_name(float v) {
  return std::isnan(v) ? "NaN" : v > 0 ? "+infinity" : "-infinity";
}

// n elements of source tensor t at src (flat index `first`) are finite numbers.
void require_finite(const SafetensorsFile::Tensor& t, const unsigned char* src, size_t n,
                    size_t first, const std::string& file) {
  if (const size_t k = first_non_finite(src, n, t.dtype); k < n)
    BTE_FAIL(kBad, file, ": tensor '", t.name, "' (", t.dtype, ", shape ", shape_str(t.shape),
             ") holds ", number_name(load_elem(src + k * t.elem_size, t.dtype)), " at flat index ",
             first + k, "; bte does not convert weights that are not finite numbers");
}

// An int8 tensor [N, K] from its pieces (each whole rows): every row
// quantised on its own (ref::quantize_rows_s8, qmax 127: the scheme the
// engine's load-time quantisation uses). Returns the N scales.
std::vector<float> write_int8_rows(BteWriter& w, const std::vector<Piece>& pieces, int K,
                                   const std::function<std::string(const Piece&)>& file_of) {
  constexpr size_t kRows = 64;  // rows per chunk
  std::vector<float> scales, x;
  std::vector<int8_t> q;
  for (const Piece& piece : pieces) {
    BTE_CHECK(piece.src && piece.count % size_t(K) == 0, "an int8 tensor's piece is whole rows");
    const auto& t = *piece.src;
    for (size_t done = 0; done < piece.count; done += kRows * K) {
      const size_t n = std::min(kRows * K, piece.count - done), rows = n / K;
      const unsigned char* src = t.data + (piece.first + done) * t.elem_size;
      require_finite(t, src, n, piece.first + done, file_of(piece));
      x.resize(n);
      q.resize(n);
      for (size_t i = 0; i < n; ++i) x[i] = load_elem(src + i * t.elem_size, t.dtype);
      const size_t at = scales.size();
      scales.resize(at + rows);
      ref::quantize_rows_s8(x.data(), int64_t(rows), K, 127, q.data(), scales.data() + at);
      w.append(q.data(), q.size());
    }
  }
  return scales;
}

void write_piece(BteWriter& w, const Piece& piece, DType out, uint64_t stream, uint64_t seed,
                 const std::string& file, std::vector<unsigned char>& buf) {
  constexpr size_t kChunk = 1 << 16;  // elements per write
  const size_t osz = dtype_size(out);
  if (!piece.src) {  // a generated tensor: the random head
    const std::vector<float> v = stream ? random_head_values(seed, stream, piece.count)
                                        : std::vector<float>(piece.count, 0.f);
    buf.resize(v.size() * osz);
    for (size_t i = 0; i < v.size(); ++i) {
      if (out == DType::F32) std::memcpy(&buf[i * 4], &v[i], 4);
      else {
        const uint16_t h = out == DType::BF16 ? float_to_bf16(v[i]) : float_to_fp16(v[i]);
        std::memcpy(&buf[i * 2], &h, 2);
      }
    }
    w.append(buf.data(), buf.size());
    return;
  }
  const auto& t = *piece.src;
  const size_t isz = t.elem_size;
  const bool same = (out == DType::F32 && t.dtype == "F32") ||
                    (out == DType::BF16 && t.dtype == "BF16") ||
                    (out == DType::F16 && t.dtype == "F16");
  for (size_t done = 0; done < piece.count; done += kChunk) {
    const size_t n = std::min(kChunk, piece.count - done);
    const unsigned char* src = t.data + (piece.first + done) * isz;
    require_finite(t, src, n, piece.first + done, file);
    if (same) {  // bit-exact
      w.append(src, n * isz);
      continue;
    }
    buf.resize(n * osz);
    for (size_t i = 0; i < n; ++i) {
      const float f = load_elem(src + i * isz, t.dtype);
      if (out == DType::F32) std::memcpy(&buf[i * 4], &f, 4);
      else {
        const uint16_t h = out == DType::BF16 ? float_to_bf16(f) : float_to_fp16(f);
        const uint16_t e = out == DType::BF16 ? 0x7F80 : 0x7C00;
        BTE_REQUIRE((h & e) != e, kBad, file, ": tensor '", t.name, "' holds ", f,
                    " at flat index ", piece.first + done + i, ", which ", dtype_name(out),
                    " cannot hold (it would become infinite); convert to fp32 instead");
        std::memcpy(&buf[i * 2], &h, 2);
      }
    }
    w.append(buf.data(), buf.size());
  }
}

}  // namespace

std::vector<float> random_head_values(uint64_t seed, uint64_t stream, size_t n) {
  uint64_t s = seed ^ (stream * 0xD1B54A32D192ED03ull);
  auto next = [&s] {  // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i += 2) {  // Box-Muller: two normals per pair of uniforms
    const double u1 = (double(next() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = double(next() >> 11) * 0x1.0p-53;          // [0, 1)
    const double r = std::sqrt(-2.0 * std::log(u1)), a = 6.283185307179586 * u2;
    v[i] = float(0.02 * r * std::cos(a));
    if (i + 1 < n) v[i + 1] = float(0.02 * r * std::sin(a));
  }
  return v;
}

std::vector<std::string> checkpoint_input_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const char* f : {"config.json", "model.safetensors", "model.safetensors.index.json"})
    files.push_back(dir + "/" + f);
  for (std::string& f : tokenizer_input_files(dir)) files.push_back(std::move(f));
  for (std::string& f : sentence_transformers_files(dir)) files.push_back(std::move(f));
  try {  // the shards; a bad index is reported by the conversion itself
    const std::string index = files[2];
    if (!path_exists(index)) return files;
    const json j = json::parse(read_regular_file(index, "safetensors index", kBad, 64 << 20));
    for (const auto& [name, file] : j.at("weight_map").items())
      if (file.is_string()) files.push_back(dir + "/" + file.get<std::string>());
  } catch (const std::exception&) {
  }
  return files;
}

ConvertReport convert_hf(const ConvertOptions& o, const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  struct stat st {};
  BTE_REQUIRE(::stat(o.hf_dir.c_str(), &st) == 0, ErrorKind::BadInput, o.hf_dir,
              ": no such directory");
  BTE_REQUIRE(S_ISDIR(st.st_mode), ErrorKind::BadInput, o.hf_dir,
              ": is not a directory (give the Hugging Face model directory)");
  check_output(o.output, checkpoint_input_files(o.hf_dir));  // before reading a byte
  HfConfig hc = read_config(o.hf_dir);
  ModelConfig& c = hc.config;
  const std::string cfg_path = o.hf_dir + "/config.json";
  Checkpoint ck = open_checkpoint(o.hf_dir);

  // The head: trained (the family's head tensors), random (--num-labels), or none.
  const ModelFamily& fam = *hc.family;
  Planner p(ck, fam, c, o.dtype);
  // A token classifier (tagger) says so in its architecture; its head is
  // the family's token head. Anything else with head tensors keeps a
  // sequence head.
  const bool tagger = hc.tagger;
  const auto head_recipes = tagger ? fam.hf_token_head : fam.hf_head;
  const std::string& probe_name = tagger ? fam.hf_token_head_probe : fam.hf_head_probe;
  bool trained = false;
  {
    ModelConfig one = c;
    one.num_labels = 1;
    for (const TensorRecipe& r : head_recipes(one))
      for (const HfSource& part : r.parts) trained |= p.has(part.name) && !p.ignored(part.name);
  }
  BTE_REQUIRE(!(hc.classifier || tagger) || trained, kBad, ck.where, ": config.json says ",
              hc.architecture, " but the checkpoint has no classifier head tensors (", probe_name,
              " ...)");
  if (trained) {
    BTE_REQUIRE(o.num_labels == 0, ErrorKind::BadInput, o.hf_dir,
                ": the checkpoint has a trained classifier head; --num-labels is for bare encoders");
    const SafetensorsFile::Tensor* probe = p.find(probe_name);
    BTE_REQUIRE(probe && probe->shape.size() == 2, kBad, ck.where, ": tensor '", probe_name,
                "' is missing or not 2-D");
    c.num_labels = int(probe->shape[0]);
    BTE_REQUIRE(c.num_labels >= 1 && c.num_labels <= ConfigLimits::kMaxLabels, kBad, ck.where,
                ": ", probe_name, " has ", c.num_labels, " rows (labels)");
    // The head is kept, so its labels are config.json's, whatever its
    // architecture says (--labels, checked below, replaces them).
    if (o.labels.empty() && !hc.id2label.is_null()) {
      c.labels = labels_of(hc.id2label, cfg_path);
      BTE_REQUIRE(int(c.labels.size()) == c.num_labels, kBad, cfg_path, ": id2label has ",
                  c.labels.size(), " entries but ", probe_name, " has ", c.num_labels,
                  " rows (name the labels with --labels to replace id2label)");
    }
    if (c.labels.empty())
      for (int i = 0; i < c.num_labels; ++i) c.labels.push_back("LABEL_" + std::to_string(i));
  } else if (o.num_labels > 0) {
    c.num_labels = o.num_labels;
    c.head_is_random = true;
    c.head_seed = o.seed;
    c.labels.clear();
    for (int i = 0; i < c.num_labels; ++i) c.labels.push_back("LABEL_" + std::to_string(i));
  } else {
    c.labels.clear();
  }
  if (!o.labels.empty()) {
    BTE_REQUIRE(c.num_labels > 0, ErrorKind::BadInput,
                "--labels needs a head: the checkpoint has none; add --num-labels N");
    BTE_REQUIRE(int(o.labels.size()) == c.num_labels, ErrorKind::BadInput, "--labels names ",
                o.labels.size(), " labels but the head has ", c.num_labels);
    validate_labels(o.labels, ErrorKind::BadInput, "--labels");
    c.labels = o.labels;
  }
  c.architecture = fam.architecture_for(c.num_labels > 0, tagger && trained);
  BTE_REQUIRE(head_activation_for(std::max(c.num_labels, 1), hc.problem_type, &c.head_activation),
              kBad, cfg_path, ": problem_type \"", hc.problem_type, "\" is not one bte knows "
              "(single_label_classification, multi_label_classification, regression)");
  validate_config(c, cfg_path);

  // Plan every output tensor (all shapes checked before anything is written):
  // the family's canonical table, each tensor made by its recipe.
  // An int8 file's scale tensors come from their weights, not from a recipe.
  const std::vector<TensorSpec> all_specs = fam.tensors(c, o.dtype);
  std::vector<TensorSpec> specs;
  for (const TensorSpec& sp : all_specs)
    if (!is_scale_tensor(sp.name)) specs.push_back(sp);
  std::vector<TensorRecipe> recipes = fam.hf_body(c);
  if (trained)
    for (TensorRecipe& r : head_recipes(c)) recipes.push_back(std::move(r));
  BTE_CHECK(specs.size() == recipes.size() || (!trained && c.num_labels > 0),
            "family ", fam.name, ": ", specs.size(), " tensors but ", recipes.size(), " recipes");
  for (size_t i = 0; i < recipes.size(); ++i) p.follow(recipes[i], specs[i]);
  // A random head (--num-labels): N(0, 0.02²) matrices (HF's init), each its
  // own stream (1, 2, ...), zero vectors.
  uint64_t stream = 0;
  for (size_t i = recipes.size(); i < specs.size(); ++i) {
    const TensorSpec& sp = specs[i];
    const size_t n = size_t(checked_bytes(sp.shape, 1));
    p.plan.push_back({sp, {{nullptr, 0, n}}, sp.shape.size() == 2 ? ++stream : 0});
  }
  if (all_specs.size() != specs.size()) {
    std::vector<Planned> with_scales;
    size_t next = 0;
    for (const TensorSpec& sp : all_specs) {
      if (is_scale_tensor(sp.name)) {
        BTE_CHECK(!with_scales.empty() && with_scales.back().spec.dtype == DType::I8,
                  "scales '", sp.name, "' follow no int8 tensor");
        with_scales.push_back({sp, {}, 0, true});
      } else {
        with_scales.push_back(std::move(p.plan[next++]));
      }
    }
    p.plan = std::move(with_scales);
  }
  const int C = c.num_labels;
  ConvertReport r;
  const std::vector<std::string> unknown = p.leftovers(&r.ignored);
  if (!unknown.empty()) {
    std::string list;
    for (size_t i = 0; i < unknown.size() && i < 5; ++i) list += (i ? "', '" : "") + unknown[i];
    BTE_FAIL(kBad, ck.where, ": unknown tensor", unknown.size() > 1 ? "s '" : " '", list, "'",
             unknown.size() > 5 ? " and more" : "", " (not part of a ", fam.name, " encoder with ",
             c.layers, " layers and ", C > 0 ? "a classifier head" : "no head", ")");
  }

  // The tokenizer must be the one the embedding table was made for.
  const CheckpointTokenizer tok = read_checkpoint_tokenizer(o.hf_dir, fam);
  // A vocabulary may be smaller than the embedding table (tables are often
  // padded to a round size: multilingual-e5-small has 250,037 rows for XLM-R's
  // 250,002 ids), except in the family whose own tokenizer is sentencepiece:
  // XLM-R's fairseq mapping puts <mask> on the table's last row.
  const bool xlmr_mapping = tok.tokenizer->kind() == "sentencepiece" &&
                            fam.tokenizer_kinds.front() == "sentencepiece";
  const bool smaller_ok = !xlmr_mapping;
  BTE_REQUIRE(tok.tokenizer->vocab_size() == c.vocab || (smaller_ok && tok.tokenizer->vocab_size() < c.vocab),
              kBad, tok.path, ": the ",
              tok.tokenizer->kind(), " model implies a ",
              "vocabulary of ", tok.tokenizer->vocab_size(), " ids", tok.vocab_note, " but ",
              cfg_path, " says vocab_size ", c.vocab);

  // Padding ids fill the padded layout's empty slots and, for RoBERTa, fix
  // where positions start. A family whose positions start at 0 takes the
  // tokenizer's (a BERT body with XLM-R's sentencepiece pads with 1 whatever
  // its config.json's pad_token_id says).
  if (fam.positions == PositionRule::FromZero && tok.tokenizer->pad_id() != c.pad_id &&
      tok.tokenizer->pad_id() >= 0) {
    say("padding id " + std::to_string(tok.tokenizer->pad_id()) + " (the tokenizer's; config.json says " +
        std::to_string(c.pad_id) + ")");
    c.pad_id = tok.tokenizer->pad_id();
  }

  // Embeddings: the sentence-transformers files when present, else the family's default.
  c.embedding = EmbeddingSettings{};
  c.embedding.pooling = fam.default_pooling;
  if (auto st = read_sentence_transformers(o.hf_dir, c, *tok.tokenizer, say)) c.embedding = *st;
  validate_config(c, cfg_path);

  BteHeader h;
  h.config = c;
  h.dtype = o.dtype;
  fill_standard_meta(h);
  h.meta.source = base_name(o.hf_dir);
  h.meta.source_architecture = hc.architecture;
  for (const auto& pl : p.plan) {
    BteEntry e;
    e.name = pl.spec.name;
    e.dtype = pl.spec.dtype;
    e.shape = pl.spec.shape;
    h.tensors.push_back(std::move(e));
  }
  h.tokenizer.kind = tok.tokenizer->kind();
  // sentencepiece's mask_id setting is the model's last id, which a BERT
  // body's larger table moves past the tokenizer's own (load_tokenizer checks it so).
  h.tokenizer.settings = tok.tokenizer->kind() == SentencePieceTokenizer::kKind
                             ? SentencePieceTokenizer::settings_for_vocab(c.vocab)
                             : tok.tokenizer->settings();
  h.tokenizer_blob.bytes = tok.bytes.size();

  for (const auto& f : ck.files) r.weight_files.push_back(base_name(f->path()));
  say("reading " + std::to_string(ck.tensors.size()) + " tensors from " + base_name(ck.where) +
      " (" + hc.architecture + ", " + std::to_string(c.layers) + " layers, hidden " +
      std::to_string(c.hidden) + ")");
  for (const auto& n : r.ignored) say("ignoring " + n + " (not used by bte)");
  if (trained && !hc.classifier && !hc.tagger)
    say("keeping the classifier head (classifier.* tensors, " + std::to_string(C) +
        " labels) although config.json's architecture " + hc.architecture +
        " names none; labels from " +
        (!o.labels.empty() ? "--labels" : hc.id2label.is_null() ? "LABEL_<i> (no id2label)" : "id2label"));
  if (c.head_is_random)
    say("adding a random classifier head: " + std::to_string(C) + " labels, seed " +
        std::to_string(o.seed) + " (untrained: its outputs mean nothing until fine-tuned)");

  BteWriter w(o.output, std::move(h));
  std::vector<unsigned char> buf;
  std::vector<float> scales;  // of the int8 tensor written last
  auto file_of = [&](const Piece& piece) {
    return piece.src ? o.hf_dir + "/" + ck.file_of.find(piece.src->name)->second : std::string();
  };
  for (const auto& pl : p.plan) {
    w.begin_tensor(pl.spec.name);
    if (pl.scales) {
      w.append(scales.data(), scales.size() * sizeof(float));
    } else if (pl.spec.dtype == DType::I8) {
      scales = write_int8_rows(w, pl.pieces, int(pl.spec.shape[1]), file_of);
    } else {
      for (const auto& piece : pl.pieces)
        write_piece(w, piece, pl.spec.dtype, pl.random_stream, o.seed, file_of(piece), buf);
    }
    w.end_tensor();
  }
  w.write_tokenizer(tok.bytes);
  w.finish();
  r.config = c;
  r.source_architecture = hc.architecture;
  r.tensors = p.plan.size();
  r.file_bytes = w.file_size();
  return r;
}

}  // namespace bte
