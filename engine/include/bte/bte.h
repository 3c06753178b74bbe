/* bte.h: embeddings and classification with bte, from C (C99) or C++.
 *
 *   bte_model_options opt = bte_model_default_options();
 *   opt.threads = 4;
 *   bte_model* model = NULL;
 *   if (bte_model_load("model.bte", &opt, &model) != BTE_OK) {
 *     fprintf(stderr, "%s\n", bte_last_error());
 *     return 1;
 *   }
 *   const char* texts[] = {"Hello world", "How are you!"};
 *   int d = bte_model_hidden_size(model);
 *   float* emb = malloc(sizeof(float) * 2 * d);
 *   bte_embed(model, texts, 2, BTE_POOLING_MEAN, 1, emb, 2 * (size_t)d);
 *   ...
 *   free(emb);
 *   bte_model_free(model);
 *
 * Threads: every function taking a model may be called from many threads at
 * once on the same model; the calls run in parallel (each on its own
 * workspace), not one after another. bte_model_free must not race with them.
 *
 * Errors: every function returns a status; on failure, bte_last_error()
 * gives a message for the calling thread, naming the argument or option
 * field at fault. Nothing here aborts, exits or throws. Outputs are written
 * only when the call succeeds. Every option and argument is range-checked
 * against the limits below before any work (and before any text pointer is
 * read, counts are checked against the output's capacity); what the checks
 * cannot see is the caller's promise: `texts` points to n readable pointers
 * and each output holds as many floats as its capacity says.
 *
 * Limitation: a model file is mapped, not copied. If the file is truncated
 * or replaced in place while a model is loaded, reading the vanished pages
 * raises SIGBUS in the process. Replace a model file by renaming a new one
 * over it (as `bte convert` does), never by rewriting it in place.
 */
#ifndef BTE_BTE_H
#define BTE_BTE_H

#include <stddef.h>

#if defined(__GNUC__)
#define BTE_API __attribute__((visibility("default")))
#else
#define BTE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bte_status {
  BTE_OK = 0,
  BTE_ERROR_INVALID_ARGUMENT = 1, /* a NULL pointer, an unknown enum value, zero texts */
  BTE_ERROR_BAD_INPUT = 2,        /* a text: invalid UTF-8, or too long with truncation off */
  BTE_ERROR_CAPACITY = 3,         /* the output buffer is smaller than the result */
  BTE_ERROR_BAD_MODEL = 4,        /* missing, corrupt or unsupported model file */
  BTE_ERROR_DEVICE = 5,           /* no GPU, or a CUDA failure */
  BTE_ERROR_OUT_OF_MEMORY = 6,
  BTE_ERROR_INTERNAL = 7,         /* a bug in bte; the message says where */
  BTE_ERROR_UNSUPPORTED = 8       /* a valid option this device, CPU or build cannot run
                                     (fp16 on the CPU, bf16 without AVX512_BF16, CUDA in a
                                     build without it) */
} bte_status;

/* Limits of the options and arguments (a value outside is BTE_ERROR_INVALID_ARGUMENT). */
#define BTE_MAX_THREADS 1024            /* bte_model_options.threads: 0 .. this */
#define BTE_MAX_BATCH_TOKENS (1 << 24)  /* bte_model_options.max_batch_tokens: 0 .. this */
#define BTE_MAX_TEXTS (1 << 24)         /* n, texts per call: 1 .. this */

typedef enum bte_device { BTE_DEVICE_CPU = 0, BTE_DEVICE_CUDA = 1 } bte_device;
/* The Better Transformer tutorial's three modes; packed is the fastest. */
typedef enum bte_mode { BTE_MODE_PACKED = 0, BTE_MODE_FUSED = 1, BTE_MODE_REFERENCE = 2 } bte_mode;
typedef enum bte_pooling {
  BTE_POOLING_CLS = 0,  /* the first token's row */
  BTE_POOLING_MEAN = 1, /* the mean of the text's token rows (specials included) */
  BTE_POOLING_MAX = 2,  /* per column, the largest value among them */
  BTE_POOLING_MODEL = -1 /* bte_embed_options only: the model's own (bte_model_pooling) */
} bte_pooling;
typedef enum bte_dtype {
  BTE_DTYPE_FP32 = 0,
  BTE_DTYPE_BF16 = 1,
  BTE_DTYPE_FP16 = 2,
  BTE_DTYPE_INT8 = 3, /* CPU: int8 GEMMs (weights quantised per output channel at load, or as
                         an int8 .bte stores them) */
  BTE_DTYPE_AUTO = 4  /* the file's: INT8 for an int8 .bte on the CPU, else FP32 */
} bte_dtype;

typedef struct bte_model_options {
  bte_device device;    /* default BTE_DEVICE_CPU */
  int threads;          /* CPU threads, 0 .. BTE_MAX_THREADS; 0 = OMP_NUM_THREADS if set, else
                           all cores (default) */
  bte_dtype dtype;      /* default BTE_DTYPE_AUTO (FP32, or INT8 for an int8 .bte on the CPU); BF16
                           on CPUs with AVX512_BF16/AMX or on CUDA; FP16 on CUDA; INT8 on the CPU */
  bte_mode mode;        /* default BTE_MODE_PACKED */
  int truncate;         /* 1: texts over the model's maximum are truncated (default); 0: refused;
                           nothing else */
  int max_batch_tokens; /* token rows per internal batch, 0 .. BTE_MAX_BATCH_TOKENS; 0 = 16384
                           (default); a text longer than it still runs, alone */
} bte_model_options;

typedef struct bte_model bte_model; /* opaque */

BTE_API const char* bte_version(void);
BTE_API const char* bte_status_string(bte_status status);
/* The message of the calling thread's last failure ("" if none). Valid until
 * that thread's next bte call. */
BTE_API const char* bte_last_error(void);

BTE_API bte_model_options bte_model_default_options(void);
/* options may be NULL (defaults). On success *model is set; free it with bte_model_free.
 * The chosen mode is made ready here (weights reordered for the CPU's GEMMs or
 * uploaded to the GPU), so a failure there is this call's and the first
 * embedding call is as fast as the next. */
BTE_API bte_status bte_model_load(const char* path, const bte_model_options* options,
                                  bte_model** model);
BTE_API void bte_model_free(bte_model* model); /* NULL is fine */

BTE_API int bte_model_hidden_size(const bte_model* model); /* d; -1 if model is NULL */
BTE_API int bte_model_num_labels(const bte_model* model);  /* 0 for a bare encoder */
BTE_API const char* bte_model_label(const bte_model* model, int index); /* NULL if out of range */
BTE_API int bte_model_max_tokens(const bte_model* model); /* per text, <s> and </s> included */
/* "XLMRobertaForSequenceClassification", "xlm-roberta", and the path the
 * chosen mode runs (backend, kernels, ISA, threads); NULL if model is NULL.
 * Valid while the model lives. */
BTE_API const char* bte_model_architecture(const bte_model* model);
BTE_API const char* bte_model_family(const bte_model* model);
BTE_API const char* bte_model_describe(const bte_model* model);
/* The precision the model computes in (never BTE_DTYPE_AUTO; FP32 in BTE_MODE_REFERENCE, which
   always runs fp32); -1 if model is NULL. */
BTE_API int bte_model_dtype(const bte_model* model);

/* The model's own embedding settings, as its .bte file carries them (read
 * from a sentence-transformers checkpoint at conversion; otherwise CLS
 * pooling without normalisation and no prompt). */
BTE_API bte_pooling bte_model_pooling(const bte_model* model);  /* BTE_POOLING_MODEL if NULL */
BTE_API int bte_model_normalizes(const bte_model* model);       /* 1, 0; -1 if NULL */
BTE_API int bte_model_embedding_max_tokens(const bte_model* model); /* per text; -1 if NULL */
BTE_API int bte_model_num_prompts(const bte_model* model);      /* -1 if NULL */
/* The name / text of prompt `index`, or NULL if out of range. */
BTE_API const char* bte_model_prompt_name(const bte_model* model, int index);
BTE_API const char* bte_model_prompt_text(const bte_model* model, int index);
BTE_API const char* bte_model_default_prompt(const bte_model* model); /* "" if none; NULL if NULL */

typedef struct bte_embed_options {
  int pooling;             /* a bte_pooling; BTE_POOLING_MODEL (default) = the model's */
  int normalize;           /* 1, 0, or -1 (default) = the model's */
  const char* prompt_name; /* one of the model's prompts; "" = none; NULL (default) = the
                              model's default prompt */
  const char* prompt_text; /* a prompt given as text, put before every text; NULL (default).
                              Set at most one of prompt_name and prompt_text. */
} bte_embed_options;
BTE_API bte_embed_options bte_embed_default_options(void);

/* One embedding per text, as the model makes them by default (options NULL)
 * or as options change. Texts longer than the model's embedding length (its
 * sentence-transformers max_seq_length, else bte_model_max_tokens) are
 * truncated or refused as bte_model_options.truncate says.
 * out: n × hidden floats, row i = text i; out_capacity counts floats. */
BTE_API bte_status bte_embed_with(bte_model* model, const char* const* texts, size_t n,
                                  const bte_embed_options* options, float* out,
                                  size_t out_capacity);
/* bte_embed_with with this pooling (not BTE_POOLING_MODEL) and normalize (0 or 1); the
 * model's default prompt and embedding length. */
BTE_API bte_status bte_embed(bte_model* model, const char* const* texts, size_t n,
                             bte_pooling pooling, int normalize, float* out, size_t out_capacity);

/* probs: n × num_labels floats, row i = text i: the head's scores, i.e. its
 * activation of the logits as the checkpoint's problem_type says
 * (bte_model_head_activation: "softmax" over the labels, "sigmoid" per label —
 * multi-label heads and one-label heads such as rerankers' — or "none", the
 * raw value, for regression). */
BTE_API bte_status bte_classify(bte_model* model, const char* const* texts, size_t n, float* probs,
                                size_t probs_capacity);
/* logits: n × num_labels floats, the head's raw outputs. */
BTE_API bte_status bte_classify_logits(bte_model* model, const char* const* texts, size_t n,
                                       float* logits, size_t logits_capacity);
BTE_API const char* bte_model_head_activation(const bte_model* model); /* NULL if NULL */

/* A cross-encoder reranker (a model with a one-label head): the score of
 * each (query, documents[i]) pair, tokenized in the model's pair template
 * (XLM-R: <s> query </s></s> document </s>; BERT: [CLS] query [SEP] document
 * [SEP] with segment ids) and cut "longest_first" to bte_model_max_tokens. scores: n floats, in
 * document order; the sigmoid of the head's logit, or the logit itself with
 * raw_scores = 1. */
BTE_API bte_status bte_rerank(bte_model* model, const char* query, const char* const* documents,
                              size_t n, int raw_scores, float* scores, size_t scores_capacity);

/* Token classification (a *ForTokenClassification model): per token of each
 * text (specials included, after truncation; count them first with
 * bte_count_tokens), the most probable label's id (bte_model_label) and its
 * softmax probability. offsets (n + 1 entries) gets each text's first token:
 * text i owns entries offsets[i] .. offsets[i+1]-1. */
BTE_API bte_status bte_tag_tokens(bte_model* model, const char* const* texts, size_t n,
                                  int* label_ids, float* scores, size_t capacity,
                                  size_t* offsets);

/* Token ids (after truncation, specials included; count them first with
 * bte_count_tokens): text i owns ids[offsets[i]] .. ids[offsets[i+1]-1]. */
BTE_API bte_status bte_tokenize(bte_model* model, const char* const* texts, size_t n, int* ids,
                                size_t capacity, size_t* offsets);

/* Per-token hidden states. First ask how many tokens the texts make (after
 * truncation, <s> and </s> included), then pass out with at least
 * total_tokens × hidden floats; offsets (n + 1 entries) gets each text's
 * first row: text i owns rows offsets[i] .. offsets[i+1]-1. */
BTE_API bte_status bte_count_tokens(bte_model* model, const char* const* texts, size_t n,
                                    size_t* total_tokens);
BTE_API bte_status bte_embed_tokens(bte_model* model, const char* const* texts, size_t n, float* out,
                                    size_t out_capacity, size_t* offsets);

#ifdef __cplusplus
}
#endif

#endif /* BTE_BTE_H */
