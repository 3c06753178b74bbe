/* embed_similarity MODEL TEXT...: embeds the texts (mean pooling, L2
 * normalised) and prints the cosine similarity of every pair. */
#include <stdio.h>
#include <stdlib.h>

#include <bte/bte.h>

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s model.bte TEXT TEXT...\n", argv[0]);
    return 1;
  }
  bte_model* model = NULL;
  if (bte_model_load(argv[1], NULL, &model) != BTE_OK) {
    fprintf(stderr, "error: %s\n", bte_last_error());
    return 2;
  }
  const size_t n = (size_t)(argc - 2);
  const int d = bte_model_hidden_size(model);
  float* e = malloc(sizeof(float) * n * (size_t)d);
  if (!e || bte_embed(model, (const char* const*)(argv + 2), n, BTE_POOLING_MEAN, 1, e,
                      n * (size_t)d) != BTE_OK) {
    fprintf(stderr, "error: %s\n", e ? bte_last_error() : "out of memory");
    free(e);
    bte_model_free(model);
    return 2;
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      double dot = 0;
      for (int k = 0; k < d; ++k) dot += (double)e[i * d + k] * e[j * d + k];
      printf("cos(%zu, %zu) = %.4f  \"%s\" / \"%s\"\n", i, j, dot, argv[2 + i], argv[2 + j]);
    }
  free(e);
  bte_model_free(model);
  return 0;
}
