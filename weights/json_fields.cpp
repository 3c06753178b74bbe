#include "weights/json_fields.h"

#include "base/check.h"

namespace bte::json_fields {

json parse(std::string_view text, const std::string& where, const char* what, int max_depth) {
  // nlohmann's parser is iterative, but a deep nesting still costs memory and
  // time for nothing: no header of ours nests more than a few levels.
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      BTE_REQUIRE(++depth <= max_depth, ErrorKind::BadModel, where, ": ", what,
                  " nests deeper than ", max_depth, " levels (at byte ", i, ")");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    BTE_FAIL(ErrorKind::BadModel, where, ": ", what, " is not valid JSON: ", e.what());
  }
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string brief(const json& v) {
  std::string s = v.dump(-1, ' ', true, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

const json* find(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const json& get(const json& obj, std::string_view key, const std::string& where,
                const std::string& path, const char* what) {
  BTE_REQUIRE(obj.is_object(), ErrorKind::BadModel, where, ": ", what, " '",
              path.empty() ? "(root)" : path, "' must be an object, got ", brief(obj));
  const json* v = find(obj, key);
  BTE_REQUIRE(v != nullptr, ErrorKind::BadModel, where, ": ", what, " '", join(path, key),
              "' is missing");
  return *v;
}

int64_t get_int(const json& obj, std::string_view key, const std::string& where,
                const std::string& path, int64_t lo, int64_t hi, const char* what) {
  const json& v = get(obj, key, where, path, what);
  BTE_REQUIRE(v.is_number_integer(), ErrorKind::BadModel, where, ": ", what, " '", join(path, key),
              "' must be an integer, got ", brief(v));
  int64_t x;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    BTE_REQUIRE(u <= uint64_t(INT64_MAX), ErrorKind::BadModel, where, ": ", what, " '",
                join(path, key), "' is ", u, ", out of range [", lo, ", ", hi, "]");
    x = int64_t(u);
  } else {
    x = v.get<int64_t>();
  }
  BTE_REQUIRE(x >= lo && x <= hi, ErrorKind::BadModel, where, ": ", what, " '", join(path, key),
              "' is ", x, ", out of range [", lo, ", ", hi, "]");
  return x;
}

double get_number(const json& obj, std::string_view key, const std::string& where,
                  const std::string& path, const char* what) {
  const json& v = get(obj, key, where, path, what);
  BTE_REQUIRE(v.is_number(), ErrorKind::BadModel, where, ": ", what, " '", join(path, key),
              "' must be a number, got ", brief(v));
  return v.get<double>();
}

std::string get_string(const json& obj, std::string_view key, const std::string& where,
                       const std::string& path, const char* what) {
  const json& v = get(obj, key, where, path, what);
  BTE_REQUIRE(v.is_string(), ErrorKind::BadModel, where, ": ", what, " '", join(path, key),
              "' must be a string, got ", brief(v));
  return v.get<std::string>();
}

bool get_bool(const json& obj, std::string_view key, const std::string& where,
              const std::string& path, const char* what) {
  const json& v = get(obj, key, where, path, what);
  BTE_REQUIRE(v.is_boolean(), ErrorKind::BadModel, where, ": ", what, " '", join(path, key),
              "' must be true or false, got ", brief(v));
  return v.get<bool>();
}

}  // namespace bte::json_fields
