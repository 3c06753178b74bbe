"""bte on a Ray cluster: a callable class for ray.data.Dataset.map_batches.

    import ray, bte.ray
    ds = ray.data.read_parquet("s3://bucket/texts/")          # columns: id, text
    out = ds.map_batches(bte.ray.BteMapper,
                         fn_constructor_kwargs={"model": "/shared/e5.bte", "task": "embed"},
                         compute=ray.data.ActorPoolStrategy(size=4),
                         num_cpus=2, batch_size=256, batch_format="numpy",
                         **bte.ray.ACTOR_RETRIES)
    out.write_parquet("s3://bucket/embeddings/")

Each actor loads the model once (the path must name the same file on every
node: shared storage, or a copy at the same path on each) and answers
batches of rows: every output row keeps its input row's id column, so the
count and the order of the result are provable. `python -m bte.ray_job`
runs the whole job from a file (docs/SCALE.md).

Ray is imported only by the job, not here: this module needs numpy and bte.
"""
import numpy as np

from . import Model

__all__ = ["BteMapper", "ACTOR_RETRIES", "TASKS"]

TASKS = ("embed", "classify")

# Ray remote arguments that let the job outlive a lost actor: Ray restarts
# the actor (loading the model again) and resends the batches it held. Bounded:
# a batch that kills its actor every time (say, the OOM killer) fails the job
# instead of retrying forever.
ACTOR_RETRIES = {"max_restarts": 4, "max_task_retries": 4}


class BteMapper:
    """map_batches callable: a batch {id_column: ids, text_column: texts} ->
    {id_column: ids, ...task columns}.

    task="embed": column "embedding", float32 (rows, d); the options of
    bte.Model.embed (pooling, normalize, prompt, prompt_text) apply.
    task="classify": columns "label" (str), "score" (float32) and "scores"
    (float32 (rows, labels), in the order of info["labels"]).
    keep_text=True also copies the text column to the output.
    """

    def __init__(self, model, task="embed", text_column="text", id_column="id", keep_text=False,
                 device="cpu", dtype="auto", threads=0, mode="packed", **task_options):
        if task not in TASKS:
            raise ValueError("task must be one of %s, got %r" % (", ".join(TASKS), task))
        if task == "classify" and task_options:
            raise ValueError("classify takes no options, got %s" % ", ".join(sorted(task_options)))
        self.task = task
        self.text_column = text_column
        self.id_column = id_column
        self.keep_text = keep_text
        self.options = task_options
        self.model = Model(model, device=device, dtype=dtype, threads=threads, mode=mode)
        self.labels = np.array(self.model.labels, dtype=object)
        if task == "classify" and not len(self.labels):
            raise ValueError("%s has no classification head (a bare encoder): use task='embed'" % model)

    def __call__(self, batch):
        for column in (self.text_column, self.id_column):
            if column not in batch:
                raise KeyError("the batch has no column %r (columns: %s)" % (column, ", ".join(batch)))
        ids = np.asarray(batch[self.id_column])
        texts = self._texts(batch[self.text_column], ids)
        out = {self.id_column: ids}
        if self.keep_text:
            out[self.text_column] = np.asarray(texts, dtype=object)
        if self.task == "embed":
            out["embedding"] = self.model.embed(texts, **self.options)
        else:
            scores = self.model.classify_scores(texts)
            best = scores.argmax(axis=1)
            out["label"] = self.labels[best]
            out["score"] = scores[np.arange(len(texts)), best]
            out["scores"] = scores
        return out

    def _texts(self, column, ids):
        texts = column.tolist() if hasattr(column, "tolist") else list(column)
        for i, t in enumerate(texts):
            if isinstance(t, bytes):
                raise TypeError("row %s: column %r holds bytes, not text" % (ids[i], self.text_column))
            if not isinstance(t, str):
                raise TypeError("row %s: column %r is %s, not a str" % (ids[i], self.text_column, type(t).__name__))
        return texts

    def __del__(self):
        model = getattr(self, "model", None)
        if model is not None:
            model.close()
