"""Secrets are hidden by value, by name and by shape; ordinary text is never touched."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oumi_mcp_server.core import redact
from oumi_mcp_server.core.redact import (
    REDACTED,
    is_secret_name,
    redact_env,
    redact_text,
    secret_values,
)

_RNG = random.Random(9)
ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _hex(n: int) -> str:
    return _rand(n, "0123456789abcdef")


# (kind, the secret, the line a job would print it in); every kind is found without being
# in any environment: by its shape, or by the name next to it.
SHAPED = [
    ("openai", "sk-proj-" + _rand(48), "openai.api_key is {}"),
    ("anthropic", "sk-ant-api03-" + _rand(90) + "-" + _rand(6), "client = Anthropic(k={})"),
    ("huggingface", "hf_" + _rand(34), "Login with token {} succeeded"),
    ("github", "ghp_" + _rand(36), "git remote https://{}@github.com/org/repo.git"),
    ("github-fine", "github_pat_" + _rand(22) + "_" + _rand(59), "GH={}"),
    ("aws-key-id", "AKIA" + _rand(16, string.ascii_uppercase + string.digits), "id {} used"),
    ("google", "AIza" + _rand(35), "url https://x.googleapis.com/v1?key={}&alt=json"),
    ("replicate", "r8_" + _rand(37), "replicate client token {}"),
    ("slack", "xoxb-" + _rand(12, string.digits) + "-" + _rand(24), "slack({})"),
    ("stripe", "sk_live_" + _rand(24), "stripe key: {}"),
    ("gitlab", "glpat-" + _rand(20), "token {}"),
    ("jwt", f"eyJ{_rand(20)}.eyJ{_rand(40)}.{_rand(43)}", "cookie session={}"),
    ("url-password", _rand(14), "connecting to postgres://admin:{}@db.internal:5432/app"),
    ("aws-secret", _rand(40, ALNUM + "/+"), "aws_secret_access_key = {}"),
    ("azure-account-key", _rand(86, ALNUM + "+/") + "==", "Endpoint=https;AccountKey={};x=y"),
    ("azure-sas", _rand(30) + "%3D", "GET https://a.blob.core.windows.net/c/b?sv=2022&sig={}&se=1"),
    ("azure-header", _hex(32), "api-key: {}"),
    ("bearer", _rand(40), "Authorization: Bearer {}"),
    ("json-password", "p@ss w0rd " + _rand(6), '{{"user": "me", "password": "{}"}}'),
    ("env-line", "two words " + _rand(10), "MY_SERVICE_PASSWORD={}"),
    ("repr-token", _rand(12), "TrainingParams(hub_token='{}', seed=42)"),
    ("yaml-secret", _rand(16), 'client_secret: "{}"'),
]
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + "\n".join(_rand(64) for _ in range(5))
    + "\n"
    + ("-----END RSA PRIVATE KEY-----")
)


def _leaks(out: str, secret: str) -> list[str]:
    """Pieces of `secret` (10 characters or more) still in `out`."""
    return [secret[i : i + 10] for i in range(len(secret) - 9) if secret[i : i + 10] in out]


@pytest.mark.parametrize(("kind", "secret", "line"), SHAPED, ids=[k for k, _, _ in SHAPED])
def test_each_kind_is_found_without_knowing_the_value(kind: str, secret: str, line: str) -> None:
    text = "step 1 loss=2.31\n" + line.format(secret) + "\nstep 2 loss=2.05\n"
    out = redact_text(text)
    assert not _leaks(out, secret) and REDACTED in out, out
    assert out.startswith("step 1 loss=2.31\n") and out.endswith("\nstep 2 loss=2.05\n")


def test_all_kinds_in_one_log_zero_leaks() -> None:
    log = "\n".join(line.format(secret) for _, secret, line in SHAPED) + "\n" + PEM + "\ndone\n"
    out = redact_text(log)
    assert len(SHAPED) + 1 >= 15
    assert [kind for kind, secret, _ in SHAPED if _leaks(out, secret)] == []
    assert not any(_leaks(out, ln) for ln in PEM.splitlines()[1:-1]) and out.endswith("done\n")


def test_a_private_key_block_cut_at_either_end_is_still_hidden() -> None:
    lines = PEM.splitlines()
    head = "\n".join(["before", *lines[:4]])  # the tail of a log ends inside the block
    foot = "\n".join([*lines[3:], "after"])  # the window starts inside it
    assert redact_text(head).startswith("before\n") and not _leaks(redact_text(head), lines[2])
    assert redact_text(foot).endswith("\nafter") and not _leaks(redact_text(foot), lines[4])


ORDINARY = [
    "/usr/lib/python3.11/site-packages/oumi/core/configs/params/training_params.py:118",
    '  File "/venv/lib/python3.11/site-packages/transformers/trainer.py", line 2241, in train',
    "commit 4f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b (HEAD -> main)",
    "output_dir=/runs/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/ckpt",
    "Using pad_token: <|endoftext|>, eos_token: </s>, bos_token_id=1",
    "{'loss': 2.3125, 'grad_norm': 1.52, 'learning_rate': 2e-05, 'epoch': 0.1}",
    "Downloading https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct/resolve/main/config.json",
    "model = AutoModel.from_pretrained(name, token=hf_token)",
    "HF_TOKEN_PATH=/home/me/.cache/huggingface/token MAX_NEW_TOKENS=512 TOKENIZERS_PARALLELISM=0",
    "sort_key: length  messages_key: messages  primary_key=id",
    "sha256:" + "ab" * 32 + " scikit-learn sk-learn-compatible task-specific-adapter-names",
    "Basic understanding of the Bearer token flow is assumed.",
    "self.tokenizer.pad_token = self.tokenizer.eos_token",
    "AWS_REGION=us-east-1 AWS_PROFILE=default-profile",
    "user@example.com wrote git@github.com:oumi-ai/oumi.git",
]


def test_ordinary_text_is_unchanged() -> None:
    for line in ORDINARY:
        assert redact_text(line) == line


_VOCABULARY = (
    "step loss epoch lr grad_norm train eval done model site-packages params.py "
    "training_params.py __init__.py checkpoint-500 Llama-3.2-1B output_dir max_steps "
    "pad_token eos_token tokenizer.json safetensors 2e-05 0.125 [INFO] WARNING: it/s"
)
_WORD = st.sampled_from(_VOCABULARY.split())
_IDENT = st.lists(_WORD.filter(str.isidentifier), min_size=1, max_size=4).map("_".join)
_PATH = st.lists(_WORD, min_size=1, max_size=6).map(lambda ws: "/" + "/".join(ws))
_SHA = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
_NUMBER = st.floats(allow_nan=False, allow_infinity=False).map(repr)
_URL = st.tuples(_WORD, _PATH).map(lambda t: f"https://{t[0]}.example.org{t[1]}?rev=main&n=2")
_PAIR = st.tuples(_IDENT, st.sampled_from(["=", ": ", "="]), st.one_of(_NUMBER, _PATH, _SHA)).map(
    "".join
)
_TOKEN = st.one_of(_WORD, _IDENT, _PATH, _SHA, _NUMBER, _URL, _PAIR)
_ORDINARY_TEXT = st.lists(
    st.tuples(_TOKEN, st.sampled_from([" ", "\n", ", ", "\t", " | ", "\r"])), max_size=40
).map(lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=400, deadline=None)
@given(text=_ORDINARY_TEXT)
def test_random_ordinary_text_is_unchanged(text: str) -> None:
    assert redact_text(text) == text


_BODY = st.text(alphabet=ALNUM, min_size=40, max_size=60)
_SECRET = st.one_of(
    _BODY.map(lambda b: "sk-proj-" + b[:-1] + "7"),
    _BODY.map(lambda b: "hf_" + b),
    _BODY.map(lambda b: "ghp_" + b),
    _BODY.map(lambda b: "r8_" + b),
    _BODY.map(lambda b: "AIza" + (b * 2)[:35]),
    _BODY.map(lambda b: "sk_live_" + b),
    st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=16).map(
        lambda b: "AKIA" + b
    ),
    st.tuples(_BODY, _BODY).map(lambda t: f"eyJ{t[0]}.eyJ{t[1]}.{t[0][:20]}"),
)
_CONTEXT = st.sampled_from(
    ["{}", "token: {}", "'{}'", '"{}"', "({})", "key={}&x=1", "<{}>", "[{}]", "x {},"]
)


@settings(max_examples=400, deadline=None)
@given(before=_ORDINARY_TEXT, secret=_SECRET, context=_CONTEXT, after=_ORDINARY_TEXT)
def test_random_shaped_secrets_in_ordinary_text_are_gone(
    before: str, secret: str, context: str, after: str
) -> None:
    out = redact_text(before + " " + context.format(secret) + "\n" + after)
    assert secret not in out and REDACTED in out
    assert out.startswith(before) and out.endswith(after)


_VALUE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\n"),
    min_size=8,
    max_size=40,
).filter(lambda v: len(v.strip()) >= 8)


@settings(max_examples=300, deadline=None)
@given(before=_ORDINARY_TEXT, values=st.lists(_VALUE, min_size=1, max_size=4), after=_ORDINARY_TEXT)
def test_random_values_given_by_the_caller_are_gone(
    before: str, values: list[str], after: str
) -> None:
    text = before + " " + " and ".join(values) + " " + values[0] + values[-1] + "\n" + after
    out = redact_text(text, values)
    assert all(v.strip() not in out for v in values)


def test_overlapping_values_are_both_hidden() -> None:
    a, b = "abcdefgh1234", "1234zyxwvuts"
    out = redact_text("x abcdefgh1234zyxwvuts y", [a, b])
    assert out == f"x {REDACTED} y"


def test_values_of_secret_names_in_the_server_env_are_hidden_by_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    creds = tmp_path / "sa.json"
    creds.write_text("{}")
    monkeypatch.setenv("MY_DB_PASSWORD", "correct horse battery staple")
    monkeypatch.setenv("WANDB_API_KEY", _hex(40))  # no shape: a 40-hex like a git sha
    monkeypatch.setenv("SSH_PRIVATE_KEY", PEM)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(creds))  # a path, not a secret
    monkeypatch.setenv("SHORT_TOKEN", "abc")  # too short to look for
    text = (
        f"pw=correct horse battery staple\nwandb {redact.os.environ['WANDB_API_KEY']}\n"
        f"{PEM.splitlines()[2]}\nreading {creds}\nabc is fine\n"
    )
    out = redact_text(text)
    assert "horse" not in out and redact.os.environ["WANDB_API_KEY"] not in out
    assert PEM.splitlines()[2] not in out
    assert f"reading {creds}" in out and "abc is fine" in out


def test_the_saved_hugging_face_token_is_hidden_by_value(isolated_env: Path) -> None:
    token = "hfq" + _rand(30)  # not the hf_ shape: found only because it is in the file
    (isolated_env / "hf" / "token").write_text(token + "\n")
    assert redact_text(f"token {token} ok") == f"token {REDACTED} ok"


def test_secret_values_picks_secret_names_only() -> None:
    env = {
        "HF_TOKEN": "hf_" + "a1" * 17,
        "AWS_SECRET_ACCESS_KEY": "x" * 40,
        "AWS_ACCESS_KEY_ID": "AKIA" + "B" * 16,
        "REPLICATE_API_TOKEN": "r8_" + "c" * 37,
        "PGPASSWORD": "pg-password-1",
        "OUTPUT_DIR": "/tmp/out/abcdefgh",
        "HF_TOKEN_PATH": "/nonexistent/token/file",
        "MAX_NEW_TOKENS": "123456789",
        "pad_token": "<|endoftext|>",
    }
    assert secret_values(env) == sorted(
        [env[k] for k in ("HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")]
        + [env["REPLICATE_API_TOKEN"], env["PGPASSWORD"]]
    )


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("HF_TOKEN", True),
        ("OPENAI_API_KEY", True),
        ("AZURE_STORAGE_CONNECTION_STRING", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("GITHUB_PAT", True),
        ("DB_PASS", True),
        ("apiKey", True),
        ("clientSecret", True),
        ("PGPASSWORD", True),
        ("x-api-key", True),
        ("HF_TOKEN_PATH", False),
        ("pad_token", False),
        ("MAX_TOKENS", False),
        ("AWS_REGION", False),
        ("SSH_AUTH_SOCK", False),
        ("PWD", False),
        ("key", False),
        ("sort_key", False),
        ("monkey", False),
        ("TOKENIZERS_PARALLELISM", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_redact_env_hides_by_name_never_by_value_shape() -> None:
    sha = "4f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
    env = {"HF_TOKEN": "hf_" + "a1" * 17, "RUN_DIR": f"/runs/{sha}", "NOTE": "sk-proj-" + "a1" * 20}
    assert redact_env(env) == {"HF_TOKEN": REDACTED, "RUN_DIR": f"/runs/{sha}", "NOTE": env["NOTE"]}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_are_handled(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    assert isinstance(redact_text(text), str)
