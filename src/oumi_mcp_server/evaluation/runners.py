"""The bodies of the offline evaluation functions, run inside `oumi evaluate`.

`heldout_loss` loads the config's model and tokenizer with oumi's builders (so a LoRA adapter
folder, `model.adapter_model`, dtype and device settings work as in training) and measures the
loss of every row of a chat JSONL under no_grad. `prompt_suite` asks oumi's inference engine
(the config's `inference_engine` and `generation`) for one answer per prompt and scores it.
Both read at most `task_params.num_samples` rows (default `inputs.DEFAULT_ROWS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oumi_mcp_server.evaluation.inputs import load_chat_rows, load_suite, rows_to_read
from oumi_mcp_server.evaluation.scoring import LossTotals, Scored, summarize


def heldout_loss(config: Any, task_params: Any, data_path: str) -> dict[str, Any]:
    """Token-weighted loss and perplexity of the config's model on a chat JSONL."""
    import torch
    from oumi.builders import build_model, build_tokenizer

    rows = load_chat_rows(Path(data_path), rows_to_read(task_params.num_samples))
    tokenizer = build_tokenizer(config.model)
    model = build_model(config.model)
    model.eval()
    max_len = int(config.model.model_max_length or tokenizer.model_max_length or 2048)
    totals = LossTotals()
    device = next(model.parameters()).device
    with torch.no_grad():
        for messages in rows:
            ids, start = _encode(tokenizer, messages, max_len)
            if len(ids) < 2:
                continue
            tensor = torch.tensor([ids], device=device)
            logits = model(input_ids=tensor).logits[0, :-1].float()
            nll = torch.nn.functional.cross_entropy(logits, tensor[0, 1:], reduction="none")
            response = nll[max(start - 1, 0) :]
            totals.add(float(nll.sum()), len(nll), float(response.sum()), len(response))
    return totals.result()


def _encode(tokenizer: Any, messages: list[dict[str, str]], max_len: int) -> tuple[list[int], int]:
    """Token ids of the whole conversation (chat template) and where the last assistant turn's
    tokens start (the prompt's length; the row's end when it has no assistant turn)."""
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])[:max_len]
    if messages[-1]["role"] != "assistant":
        return ids, len(ids)
    prompt = tokenizer.apply_chat_template(
        messages[:-1], tokenize=False, add_generation_prompt=True
    )
    start = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    return ids, min(start, len(ids))


def prompt_suite(
    config: Any, task_params: Any, inference_engine: Any, suite_path: str
) -> dict[str, Any]:
    """Accuracy of the engine's answers on a prompt suite, overall and per category."""
    from oumi.core.types.conversation import Conversation, Message, Role

    items = load_suite(Path(suite_path), rows_to_read(task_params.num_samples))
    conversations = [
        Conversation(messages=[Message(role=Role.USER, content=item.prompt)]) for item in items
    ]
    answers = inference_engine.infer(input=conversations)
    scored = []
    for item, conv in zip(items, answers, strict=True):
        reply = conv.last_message(Role.ASSISTANT)
        got = reply.compute_flattened_text_content() if reply is not None else ""
        scored.append(
            Scored(item.prompt, item.matcher.expected, got, item.matcher.passes(got), item.category)
        )
    return summarize(scored)
