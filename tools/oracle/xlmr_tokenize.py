"""XLM-R tokenization on top of the sentencepiece Python binding.

fairseq id mapping, as in XLM-R / Hugging Face's XLMRobertaTokenizer:
    <s>=0, <pad>=1, </s>=2, <unk>=3, every other piece: sentencepiece id + 1,
    <mask>=vocab-1 (never produced from text).
A text becomes [0] + content + [2]; content is cut to max_tokens - 2 pieces
(the first ones are kept).
"""

import sentencepiece as spm

BOS, PAD, EOS, UNK = 0, 1, 2, 3


class XlmrTokenizer:
    def __init__(self, model_path):
        self.sp = spm.SentencePieceProcessor(model_file=str(model_path))
        # The mapping below assumes the default special ids of spm_train.
        assert self.sp.unk_id() == 0 and self.sp.bos_id() == 1 and self.sp.eos_id() == 2

    def piece_count(self):
        return self.sp.get_piece_size()

    def vocab_size(self):
        """Model vocabulary: pieces shifted by one, plus <mask> at the end."""
        return self.sp.get_piece_size() + 2

    def content_ids(self, text):
        """All content ids of text, untruncated, in the fairseq numbering."""
        return [UNK if i == 0 else i + 1 for i in self.sp.encode(text)]

    def encode(self, text, max_tokens=512):
        """Returns (ids with <s> ... </s>, truncated?)."""
        if max_tokens < 2:
            raise ValueError("max_tokens must leave room for <s> and </s>")
        content = self.content_ids(text)
        keep = max_tokens - 2
        return [BOS] + content[:keep] + [EOS], len(content) > keep
