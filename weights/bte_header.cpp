#include "weights/bte_header.h"

#include <climits>

#include "base/check.h"
#include "weights/checksum.h"
#include "weights/json_fields.h"

#ifndef BTE_VERSION_STRING
#define BTE_VERSION_STRING "unknown"
#endif

namespace bte {

using nlohmann::json;
namespace jf = json_fields;

const char* bte_version() { return BTE_VERSION_STRING; }

namespace {

json entry_to_json(const BteEntry& e, bool with_type) {
  json j = json::object();
  if (with_type) {
    j["name"] = e.name;
    j["dtype"] = dtype_name(e.dtype);
    j["shape"] = e.shape;
  }
  j["offset"] = e.offset;
  j["bytes"] = e.bytes;
  j["checksum"] = checksum_hex(e.checksum);
  return j;
}

// offset, bytes and checksum of a tensor entry or of the tokenizer blob.
void placement_from_json(const json& j, BteEntry& e, const std::string& where,
                         const std::string& path) {
  e.offset = uint64_t(jf::get_int(j, "offset", where, path, 0, INT64_MAX));
  e.bytes = uint64_t(jf::get_int(j, "bytes", where, path, 0, INT64_MAX));
  const std::string c = jf::get_string(j, "checksum", where, path);
  BTE_REQUIRE(parse_checksum_hex(c, &e.checksum), ErrorKind::BadModel, where, ": header field '",
              jf::join(path, "checksum"), "' must be 16 lower-case hex digits, got \"", c, "\"");
}

DType dtype_from(const json& j, std::string_view key, const std::string& where,
                 const std::string& path) {
  const std::string s = jf::get_string(j, key, where, path);
  if (s == "fp32") return DType::F32;
  if (s == "bf16") return DType::BF16;
  if (s == "fp16") return DType::F16;
  if (s == "int8") return DType::I8;
  BTE_FAIL(ErrorKind::BadModel, where, ": header field '", jf::join(path, key), "' is \"", s,
           "\"; supported dtypes are fp32, bf16, fp16, int8");
}

}  // namespace

json header_to_json(const BteHeader& h) {
  const ModelConfig& c = h.config;
  BTE_CHECK(h.meta.format_version == kBteFormatVersion, "bte writes format version ",
            kBteFormatVersion, " only");
  json j = json::object();
  j["format"] = "bte";
  j["format_version"] = h.meta.format_version;
  j["writer"] = h.meta.writer;
  j["source"] = {{"name", h.meta.source}, {"architecture", h.meta.source_architecture}};
  j["dtype"] = dtype_name(h.dtype);
  j["checksum"] = kBteChecksumName;
  j["config"] = {{"family", c.family},             {"architecture", c.architecture},
                 {"layers", c.layers},
                 {"hidden", c.hidden},             {"heads", c.heads},
                 {"ffn", c.ffn},                   {"vocab", c.vocab},
                 {"max_positions", c.max_positions}, {"pad_id", c.pad_id},
                 {"token_types", c.token_types},
                 {"layer_norm_eps", double(c.layer_norm_eps)}, {"activation", c.activation},
                 {"num_labels", c.num_labels}};
  j["labels"] = c.labels;
  j["head"] = {{"present", c.has_head()},
               {"random", c.head_is_random},
               {"seed", c.head_seed},
               {"activation", head_activation_name(c.head_activation)}};
  const EmbeddingSettings& e = c.embedding;
  json prompts = json::array();
  for (const Prompt& p : e.prompts) prompts.push_back({{"name", p.name}, {"text", p.text}});
  j["embedding"] = {{"pooling", pooling_name(e.pooling)}, {"normalize", e.normalize},
                    {"prompts", std::move(prompts)},       {"default_prompt", e.default_prompt},
                    {"max_tokens", e.max_tokens},          {"origin", e.origin}};
  json t = entry_to_json(h.tokenizer_blob, false);
  t["kind"] = h.tokenizer.kind;
  t["settings"] = json::object();
  for (const auto& [name, value] : h.tokenizer.settings) t["settings"][name] = value;
  j["tokenizer"] = t;
  json tensors = json::array();
  for (const auto& e : h.tensors) tensors.push_back(entry_to_json(e, true));
  j["tensors"] = std::move(tensors);
  return j;
}

BteHeader header_from_json(const json& j, const std::string& where) {
  BteHeader h;
  BTE_REQUIRE(j.is_object(), ErrorKind::BadModel, where, ": header must be a JSON object, got ",
              jf::brief(j));
  const std::string fmt = jf::get_string(j, "format", where, "");
  BTE_REQUIRE(fmt == "bte", ErrorKind::BadModel, where, ": header field 'format' is \"", fmt,
              "\", expected \"bte\"");
  h.meta.format_version = uint32_t(jf::get_int(j, "format_version", where, "", 0, UINT32_MAX));
  h.meta.writer = jf::get_string(j, "writer", where, "");
  const json& src = jf::get(j, "source", where, "");
  h.meta.source = jf::get_string(src, "name", where, "source");
  h.meta.source_architecture = jf::get_string(src, "architecture", where, "source");
  h.dtype = dtype_from(j, "dtype", where, "");
  const std::string ck = jf::get_string(j, "checksum", where, "");
  BTE_REQUIRE(ck == kBteChecksumName, ErrorKind::BadModel, where, ": header field 'checksum' is \"",
              ck, "\"; this bte knows only \"", kBteChecksumName, "\"");

  const json& cj = jf::get(j, "config", where, "");
  ModelConfig& c = h.config;
  // Version 1 predates families: every such file is XLM-R.
  c.family = h.meta.format_version >= 2 ? jf::get_string(cj, "family", where, "config")
                                        : std::string("xlm-roberta");
  c.architecture = jf::get_string(cj, "architecture", where, "config");
  c.layers = int(jf::get_int(cj, "layers", where, "config", 1, ConfigLimits::kMaxLayers));
  c.hidden = int(jf::get_int(cj, "hidden", where, "config", 1, ConfigLimits::kMaxHidden));
  c.heads = int(jf::get_int(cj, "heads", where, "config", 1, ConfigLimits::kMaxHidden));
  c.ffn = int(jf::get_int(cj, "ffn", where, "config", 1, ConfigLimits::kMaxFfn));
  c.vocab = int(jf::get_int(cj, "vocab", where, "config", 1, ConfigLimits::kMaxVocab));
  c.max_positions =
      int(jf::get_int(cj, "max_positions", where, "config", 1, ConfigLimits::kMaxPositions));
  c.pad_id = int(jf::get_int(cj, "pad_id", where, "config", 0, ConfigLimits::kMaxVocab));
  // Absent in files written before BERT: those are XLM-R, one token type.
  c.token_types = jf::find(cj, "token_types")
                      ? int(jf::get_int(cj, "token_types", where, "config", 0, ConfigLimits::kMaxTokenTypes))
                      : 1;
  c.layer_norm_eps = float(jf::get_number(cj, "layer_norm_eps", where, "config"));
  c.activation = jf::get_string(cj, "activation", where, "config");
  c.num_labels = int(jf::get_int(cj, "num_labels", where, "config", 0, ConfigLimits::kMaxLabels));

  const json& lj = jf::get(j, "labels", where, "");
  BTE_REQUIRE(lj.is_array(), ErrorKind::BadModel, where,
              ": header field 'labels' must be an array of strings, got ", jf::brief(lj));
  for (size_t i = 0; i < lj.size(); ++i) {
    BTE_REQUIRE(lj[i].is_string(), ErrorKind::BadModel, where, ": header field 'labels[", i,
                "]' must be a string, got ", jf::brief(lj[i]));
    c.labels.push_back(lj[i].get<std::string>());
  }
  const json& hj = jf::get(j, "head", where, "");
  const bool present = jf::get_bool(hj, "present", where, "head");
  c.head_is_random = jf::get_bool(hj, "random", where, "head");
  c.head_seed = uint64_t(jf::get_int(hj, "seed", where, "head", 0, INT64_MAX));
  if (h.meta.format_version >= 2) {
    const std::string act = jf::get_string(hj, "activation", where, "head");
    BTE_REQUIRE(parse_head_activation(act, &c.head_activation), ErrorKind::BadModel, where,
                ": header field 'head.activation' is \"", act,
                "\"; this bte knows softmax, sigmoid and none");
  } else {  // version 1 wrote no activation: Hugging Face's rule without a problem_type
    head_activation_for(c.num_labels, "", &c.head_activation);
  }
  BTE_REQUIRE(present == (c.num_labels > 0), ErrorKind::BadModel, where,
              ": header field 'head.present' is ", present, " but config.num_labels is ",
              c.num_labels);

  // Version 1 predates the embedding settings: its defaults are XLM-R's (cls).
  if (h.meta.format_version >= 2) {
    const json& ej = jf::get(j, "embedding", where, "");
    EmbeddingSettings& e = c.embedding;
    const std::string pooling = jf::get_string(ej, "pooling", where, "embedding");
    BTE_REQUIRE(parse_pooling(pooling, &e.pooling), ErrorKind::BadModel, where,
                ": header field 'embedding.pooling' is \"", pooling,
                "\"; this bte pools by cls, mean or max");
    e.normalize = jf::get_bool(ej, "normalize", where, "embedding");
    const json& pj = jf::get(ej, "prompts", where, "embedding");
    BTE_REQUIRE(pj.is_array(), ErrorKind::BadModel, where,
                ": header field 'embedding.prompts' must be an array, got ", jf::brief(pj));
    for (size_t i = 0; i < pj.size(); ++i) {
      const std::string path = "embedding.prompts[" + std::to_string(i) + "]";
      e.prompts.push_back({jf::get_string(pj[i], "name", where, path),
                           jf::get_string(pj[i], "text", where, path)});
    }
    e.default_prompt = jf::get_string(ej, "default_prompt", where, "embedding");
    e.max_tokens = int(jf::get_int(ej, "max_tokens", where, "embedding", 0, ConfigLimits::kMaxPositions));
    e.origin = jf::get_string(ej, "origin", where, "embedding");
  }

  const json& tj = jf::get(j, "tokenizer", where, "");
  TokenizerRecord& tok = h.tokenizer;
  auto setting = [&](const std::string& key, const json& v, const std::string& path) {
    BTE_REQUIRE(v.is_number_integer() &&
                    !(v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)),
                ErrorKind::BadModel, where, ": header field '", jf::join(path, key),
                "' must be an integer, got ", jf::brief(v));
    tok.settings[key] = v.get<int64_t>();
  };
  if (h.meta.format_version >= 2) {
    tok.kind = jf::get_string(tj, "kind", where, "tokenizer");
    const json& sj = jf::get(tj, "settings", where, "tokenizer");
    BTE_REQUIRE(sj.is_object(), ErrorKind::BadModel, where,
                ": header field 'tokenizer.settings' must be an object, got ", jf::brief(sj));
    for (auto it = sj.begin(); it != sj.end(); ++it)
      setting(it.key(), it.value(), "tokenizer.settings");
  } else {  // version 1: "type" and the settings beside the placement fields
    tok.kind = jf::get_string(tj, "type", where, "tokenizer");
    for (auto it = tj.begin(); it != tj.end(); ++it)
      if (it.key() != "type" && it.key() != "offset" && it.key() != "bytes" &&
          it.key() != "checksum")
        setting(it.key(), it.value(), "tokenizer");
  }
  h.tokenizer_blob.name = "tokenizer";
  placement_from_json(tj, h.tokenizer_blob, where, "tokenizer");

  const json& ts = jf::get(j, "tensors", where, "");
  BTE_REQUIRE(ts.is_array(), ErrorKind::BadModel, where,
              ": header field 'tensors' must be an array, got ", jf::brief(ts));
  BTE_REQUIRE(ts.size() <= kBteMaxTensors, ErrorKind::BadModel, where, ": header lists ",
              ts.size(), " tensors, more than the cap of ", kBteMaxTensors);
  h.tensors.reserve(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    const std::string path = "tensors[" + std::to_string(i) + "]";
    BteEntry e;
    e.name = jf::get_string(ts[i], "name", where, path);
    const std::string named = "tensor '" + e.name + "'";
    e.dtype = dtype_from(ts[i], "dtype", where, path);
    const json& sh = jf::get(ts[i], "shape", where, path);
    BTE_REQUIRE(sh.is_array() && sh.size() <= kBteMaxDims, ErrorKind::BadModel, where, ": ", named,
                ": 'shape' must be an array of at most ", kBteMaxDims, " integers, got ",
                jf::brief(sh));
    for (size_t k = 0; k < sh.size(); ++k) {
      BTE_REQUIRE(sh[k].is_number_integer() && sh[k].get<int64_t>() >= 0 &&
                      !(sh[k].is_number_unsigned() && sh[k].get<uint64_t>() > uint64_t(INT64_MAX)),
                  ErrorKind::BadModel, where, ": ", named, ": shape[", k,
                  "] must be a non-negative integer, got ", jf::brief(sh[k]));
      e.shape.push_back(sh[k].get<int64_t>());
    }
    placement_from_json(ts[i], e, where, path);
    h.tensors.push_back(std::move(e));
  }
  return h;
}

}  // namespace bte
