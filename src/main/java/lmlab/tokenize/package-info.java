/**
 * Tokenizers: text to token ids and back.
 *
 * <p>{@link lmlab.tokenize.Tokenizer} is the one interface; {@link lmlab.tokenize.ByteLevelBpe} is
 * byte-level BPE as GPT-2 and the Qwen family ship it (Sennrich et al. 2016, "Neural Machine
 * Translation of Rare Words with Subword Units"; Radford et al. 2019, GPT-2's {@code encoder.py}),
 * {@link lmlab.tokenize.CharTokenizer} the character vocabulary of the text task.
 * {@link lmlab.tokenize.TokenizerFiles} reads a tokenizer directory (tokenizer.json, vocab.json +
 * merges.txt, or a character vocab.json), {@link lmlab.tokenize.ChatTemplate} renders ChatML
 * prompts. Semantics: ../shared/spec/tokenizers.md. A low layer: it uses Jackson and nothing of
 * lmlab above io.
 */
package lmlab.tokenize;
