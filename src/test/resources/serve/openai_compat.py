"""serving.md check 12: requests as openai-python sends them, responses parsed into its types.

Usage: python3 openai_compat.py BASE_URL MODEL. Prints one line "ok ..." or raises (exit 1).
Every response is validated strictly against the client's pydantic types (ChatCompletion,
ChatCompletionChunk, Completion, Model), and no object may carry a field the type does not have.
"""
import json
import sys

import openai
from openai.types import Completion, Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk

base, model = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base, api_key="unused", max_retries=0, timeout=120)


def check(cls, data, where):
    """Strict validation, then no field outside the type, recursively through nested models."""
    obj = cls.model_validate(data, strict=True)
    extra_fields(obj, data, where)
    return obj


def extra_fields(obj, data, where):
    from pydantic import BaseModel
    if isinstance(obj, BaseModel) and isinstance(data, dict):
        known = set(type(obj).model_fields)
        aliases = {f.alias for f in type(obj).model_fields.values() if f.alias}
        extra = set(data) - known - aliases
        assert not extra, f"{where}: fields {sorted(extra)} are not in {type(obj).__name__}"
        for k, v in data.items():
            extra_fields(getattr(obj, k, None), v, f"{where}.{k}")
    elif isinstance(obj, list) and isinstance(data, list):
        for i, (o, d) in enumerate(zip(obj, data)):
            extra_fields(o, d, f"{where}[{i}]")


messages = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hi."}]
raw = client.chat.completions.with_raw_response.create(
    model=model, messages=messages, max_completion_tokens=8, seed=7, temperature=0.7,
    logprobs=True, top_logprobs=2, user="compat-test")
chat = check(ChatCompletion, json.loads(raw.http_response.text), "chat")
assert chat.choices[0].finish_reason in ("stop", "length")
assert len(chat.choices[0].logprobs.content[0].top_logprobs) == 2
assert chat.usage.total_tokens == chat.usage.prompt_tokens + chat.usage.completion_tokens

parsed = client.chat.completions.create(model=model, messages=messages, max_completion_tokens=8, seed=7, temperature=0.7)
assert parsed.choices[0].message.content == chat.choices[0].message.content, "same seed, same content"

text = []
usage = None
with client.chat.completions.with_streaming_response.create(
        model=model, messages=messages, max_completion_tokens=8, seed=7, temperature=0.7, stream=True,
        stream_options={"include_usage": True}) as resp:
    for line in resp.iter_lines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = check(ChatCompletionChunk, json.loads(line[6:]), "chunk")
        if chunk.choices:
            text.append(chunk.choices[0].delta.content or "")
        else:
            usage = chunk.usage
assert "".join(text) == chat.choices[0].message.content, "streamed equals non-streamed"
assert usage is not None and usage.completion_tokens == chat.usage.completion_tokens

stream = client.chat.completions.create(model=model, messages=messages, max_completion_tokens=8, seed=7, temperature=0.7,
                                        stream=True, stream_options={"include_usage": True})
assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == chat.choices[0].message.content

raw = client.completions.with_raw_response.create(model=model, prompt="Once", max_tokens=5, seed=1, logprobs=2)
comp = check(Completion, json.loads(raw.http_response.text), "completion")
assert len(comp.choices[0].logprobs.tokens) == comp.usage.completion_tokens

models = client.models.list()
for m in models.data:  # max_model_len is vLLM's extension (serving.md), beside the type's fields
    check(Model, {k: v for k, v in m.model_dump().items() if k != "max_model_len"}, "model")
raw = client.models.with_raw_response.retrieve(model)
check(Model, {k: v for k, v in json.loads(raw.http_response.text).items() if k != "max_model_len"}, "model")

try:
    client.chat.completions.create(model=model, messages=messages, temperature=5)
    raise AssertionError("temperature 5 was accepted")
except openai.BadRequestError as e:
    assert e.status_code == 400 and e.code == "invalid_value" and e.param == "temperature", e
try:
    client.chat.completions.create(model="gpt-4o", messages=messages)
    raise AssertionError("unknown model accepted")
except openai.NotFoundError as e:
    assert e.code == "model_not_found", e
print("ok", repr(chat.choices[0].message.content))
