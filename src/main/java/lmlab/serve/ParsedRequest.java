package lmlab.serve;

import java.util.List;
import lmlab.decode.structured.JsonSchemaSubset;

/**
 * A validated chat or completions request, ready to queue.
 *
 * @param chat chat completions (else text completions)
 * @param schema the structured-output schema (json_object: {@link JsonSchemaSubset#ANY_OBJECT}), or null
 * @param seedGiven whether the client sent a seed (else it was drawn by the server and is not reported)
 * @param ignored accepted fields that do not change the text (and unknown fields), for the header
 */
record ParsedRequest(
    boolean chat,
    String model,
    int[] prompt,
    Generator.Sampling sampling,
    boolean seedGiven,
    int maxTokens,
    List<String> stop,
    boolean stream,
    boolean includeUsage,
    boolean logprobs,
    int topLogprobs,
    JsonSchemaSubset.Node schema,
    List<String> ignored) {}
