#include "kernels/reference/embedding.h"

#include <cmath>
#include <vector>

namespace bte::ref {

void embed_layernorm(const int32_t* ids, const int32_t* positions, const int32_t* types, int64_t T,
                     const float* word, const float* pos, const float* type_table,
                     const float* gamma, const float* beta, int d, float eps, float* out) {
  std::vector<double> x(d);
  for (int64_t t = 0; t < T; ++t) {
    const float* w = word + int64_t(ids[t]) * d;
    const float* p = pos + int64_t(positions[t]) * d;
    const float* type_row = type_table ? type_table + int64_t(types ? types[t] : 0) * d : nullptr;
    double mean = 0;
    for (int j = 0; j < d; ++j) {
      x[j] = double(w[j]) + double(p[j]) + (type_row ? double(type_row[j]) : 0.0);
      mean += x[j];
    }
    mean /= d;
    double var = 0;
    for (int j = 0; j < d; ++j) var += (x[j] - mean) * (x[j] - mean);
    var /= d;
    const double rstd = 1.0 / std::sqrt(var + eps);
    for (int j = 0; j < d; ++j) out[t * d + j] = float((x[j] - mean) * rstd * gamma[j] + beta[j]);
  }
}

}  // namespace bte::ref
