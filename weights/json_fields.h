// Strict access to JSON headers (.bte, safetensors, config.json): every
// failure names the file and the field, e.g.
//   "m.bte: header field 'config.hidden' must be an integer, got \"64\"".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace bte::json_fields {

using nlohmann::json;

// Parses `text`; rejects nesting deeper than `max_depth` before parsing, and
// any syntax error, as Error(BadModel) "<where>: <what> is not valid JSON: ...".
json parse(std::string_view text, const std::string& where, const char* what, int max_depth = 32);

// Field `key` of object `obj`, whose own path is `path` ("" for the root).
const json& get(const json& obj, std::string_view key, const std::string& where,
                const std::string& path, const char* what = "header field");
const json* find(const json& obj, std::string_view key);
int64_t get_int(const json& obj, std::string_view key, const std::string& where,
                const std::string& path, int64_t lo, int64_t hi, const char* what = "header field");
double get_number(const json& obj, std::string_view key, const std::string& where,
                  const std::string& path, const char* what = "header field");
std::string get_string(const json& obj, std::string_view key, const std::string& where,
                       const std::string& path, const char* what = "header field");
bool get_bool(const json& obj, std::string_view key, const std::string& where,
              const std::string& path, const char* what = "header field");

// "config.hidden" from ("config", "hidden").
std::string join(const std::string& path, std::string_view key);
// A short rendering of a value for messages (cut to ~40 characters).
std::string brief(const json& v);

}  // namespace bte::json_fields
