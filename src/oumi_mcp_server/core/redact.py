"""Keep secrets out of every answer: by value, by name and by well-known shape.

Text a job wrote (or an exception message) is cleaned three ways, each linear in its size:
- by value: every value of a secret-named variable of the server's environment, the saved
  Hugging Face token, and values the caller adds (a job's own env), whatever their shape;
- by name: `NAME=value`, `NAME: value`, `"name": "value"`, `name='value'`, `?token=value`;
- by shape: provider keys with a recognizable prefix (`sk-`, `hf_`, `ghp_`, `AKIA`, `AIza`,
  `r8_`, `xoxb-`, `sk_live_`, ...), JWTs, private key blocks, passwords in URLs.
Nothing else is touched: a 40-hex git sha, a path, an identifier or a file name is not a secret.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.core import hf_token
from oumi_mcp_server.core.safe_regex import compile_fixed, escape

REDACTED = "<redacted>"
MIN_VALUE_CHARS = 8
"""Shorter values are not hidden by value: "1", "true" or "gpt2" would mangle ordinary text."""
_TOKEN_FILE_MAX = 4096

# --- names -----------------------------------------------------------------------------------


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SECRET_LAST = _set(
    "TOKEN SECRET PASSWORD PASSWD PASSPHRASE CREDENTIAL CREDENTIALS APIKEY AUTH AUTHORIZATION "
    "COOKIE"
)
_QUALIFIED_LAST = _set("KEY PASS PWD CREDS SAS PAT DSN SIGNATURE")
"""Secret only after another word: `DB_PASS`, `OPENAI_API_KEY`, but not a bare `key` or `pat`."""
_COMPOUND_ENDS = tuple(
    _set("TOKEN SECRET PASSWORD PASSWD PASSPHRASE APIKEY ACCESSKEY SECRETKEY PRIVATEKEY")
)
_NOT_SECRET_BEFORE = {
    # LLM vocabulary: `pad_token: <pad>` and `max_new_token` are not credentials.
    "TOKEN": _set(
        "PAD EOS BOS UNK SEP CLS MASK SPECIAL START END STOP BEGIN IMAGE IMG AUDIO VIDEO VISION "
        "CHAT SYSTEM USER ASSISTANT TOOL MAX MIN NUM NEW INPUT OUTPUT PROMPT COMPLETION RESPONSE "
        "FIRST LAST NEXT BOI EOI EOT EOM DECODER ENCODER PLACEHOLDER THINK"
    ),
    # Data keys: `sort_key`, `messages_key: messages`, `public_key`.
    "KEY": _set(
        "SORT PRIMARY FOREIGN PUBLIC CACHE DICT MAP HASH PARTITION LOOKUP GROUP ROW COLUMN COL "
        "LABEL LABELS TEXT MESSAGE MESSAGES PROMPT INPUT OUTPUT TARGET DATA DATASET METRIC FIELD "
        "JSON RESPONSE IMAGE NAME UNIQUE INDEX SPLIT CONFIG STATE CHOSEN REJECTED CONVERSATION "
        "CONTENT ROLE HOT SEARCH SHORTCUT"
    ),
}


@functools.lru_cache(maxsize=1024)
def is_secret_name(name: str) -> bool:
    """A variable or field that holds a secret, from its last word: `*_TOKEN`, `*_API_KEY`,
    `*_PASSWORD`, `apiKey`, `AWS_ACCESS_KEY_ID`; not `HF_TOKEN_PATH`, `pad_token`, `MAX_TOKENS`."""
    words = [w.upper() for w in _WORDS.findall(name)]
    if not words:
        return False
    last, before = words[-1], words[-2] if len(words) > 1 else ""
    if (last == "ID" and before == "KEY") or words[-2:] == ["CONNECTION", "STRING"]:
        return True
    if before in _NOT_SECRET_BEFORE.get(last, ()):
        return False
    if last in _SECRET_LAST or (last in _QUALIFIED_LAST and before):
        return True
    return len(words) == 1 and last.endswith(tuple(_COMPOUND_ENDS))


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """Every name and value as set, the values of secret-like names hidden (by name only: a
    value's shape says nothing, and hiding a 40-hex folder name would hide what runs)."""
    return {k: REDACTED if is_secret_name(k) else v for k, v in env.items()}


# --- values ----------------------------------------------------------------------------------


def _pieces(value: str) -> set[str]:
    """What a log shows of a value: the value, and each line of a multi-line one (a key file)."""
    parts = {value.strip(), *(line.strip() for line in value.splitlines())}
    return {p for p in parts if len(p) >= MIN_VALUE_CHARS and not _names_a_file(p)}


def _names_a_file(value: str) -> bool:
    """`GOOGLE_APPLICATION_CREDENTIALS=/path/key.json` points at a secret; the path is not one."""
    try:
        path = Path(value)
        return path.is_absolute() and path.exists()
    except (OSError, ValueError):
        return False


def secret_values(env: Mapping[str, str]) -> list[str]:
    """The values of the secret-like names in `env`, as redact_text looks for them."""
    found: set[str] = set()
    for name, value in env.items():
        if is_secret_name(name):
            found |= _pieces(value)
    return sorted(found)


@functools.lru_cache(maxsize=4)
def _env_values(env: frozenset[tuple[str, str]]) -> frozenset[str]:
    return frozenset(secret_values(dict(env)))


@functools.lru_cache(maxsize=4)
def _token_file_values(path: str, stamp: tuple[int, int]) -> frozenset[str]:
    try:
        with Path(path).open("rb") as fh:
            return frozenset(_pieces(fh.read(_TOKEN_FILE_MAX).decode("utf-8", "replace")))
    except OSError:
        return frozenset()


def _server_values() -> frozenset[str]:
    """Secret values of this server's environment and its saved Hugging Face token."""
    values = _env_values(frozenset(os.environ.items()))
    path: Path = hf_token.token_file()
    try:
        st = path.stat()
    except OSError:
        return values
    if not path.is_file():
        return values
    return values | _token_file_values(str(path), (st.st_mtime_ns, st.st_size))


# --- shapes and names in text ----------------------------------------------------------------

_KEY_BLOCK = r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
_KEY_END = r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
_SHAPES = "|".join(
    [
        r"\b(?:hf_|api_org_)[A-Za-z0-9]{30,}",
        r"\bgh[pousr]_[A-Za-z0-9]{30,}",
        r"\bgithub_pat_[A-Za-z0-9_]{40,}",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        r"\bAIza[A-Za-z0-9_\-]{35}",
        r"\bya29\.[A-Za-z0-9_\-]{20,}",
        r"\bGOCSPX-[A-Za-z0-9_\-]{20,}",
        r"\br8_[A-Za-z0-9]{30,}",
        r"\bxox[abposre]-[A-Za-z0-9\-]{10,}",
        r"hooks\.slack\.com/services/[A-Za-z0-9/]+",
        r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}",
        r"\bwhsec_[A-Za-z0-9]{20,}",
        r"\bglpat-[A-Za-z0-9_\-]{20,}",
        r"\bnpm_[A-Za-z0-9]{36,}",
        r"\bpypi-[A-Za-z0-9_\-]{50,}",
        r"\b(?:gsk|pplx|xai)[_\-][A-Za-z0-9]{40,}",
        r"\bdop_v1_[a-f0-9]{64}",
        r"\bdapi[a-f0-9]{32}\b",
        r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}",
        r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
    ]
)
_PATTERN = compile_fixed(
    "|".join(
        [
            rf"(?P<pem>{_KEY_BLOCK}(?s:.*?)(?:{_KEY_END}|\z))",
            r"\b[A-Za-z][A-Za-z0-9+.\-]*://(?P<user>[^\s/:@'\"<>]+):(?P<pw>[^\s/@'\"<>]+)@",
            rf"(?P<shape>{_SHAPES})",
            # Shapes common enough in prose that they count only with a digit in them.
            r"(?P<digit>\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"
            r"|\bBearer\s+[A-Za-z0-9._~+/\-]{16,}=*)",
            # A name ending like a secret one (is_secret_name decides), then its separator.
            r"(?P<name>[A-Za-z0-9_.\-]*(?i:token|secret|passw(?:or)?d|passphrase|pass|pwd|key"
            r"|key[_\-]?id|creds?|credentials?|auth|authorization|sas|sig|signature|cookie|pat|dsn"
            r"|conn(?:ection)?_?str(?:ing)?))(?P<nq>[\"']?)(?P<sep>[ \t]*(?::=|=|:)[ \t]*)",
        ]
    )
)
_GROUP_NAMES = ("pem", "user", "pw", "shape", "digit", "name", "nq", "sep")
_PEM, _USER, _PW, _SHAPE, _DIGIT_SHAPE, _NAME, _NQ, _SEP = (
    int(_PATTERN.groupindex[g]) for g in _GROUP_NAMES
)
_NONE = (-1, -1)
_PEM_END = compile_fixed(_KEY_END)
_PEM_BEGIN = compile_fixed(_KEY_BLOCK)
_QUOTED = compile_fixed(r"\"(?:[^\"\\\n]|\\.)*\"?|'(?:[^'\\\n]|\\.)*'?")
_VALUE_IN_PAIRS = compile_fixed(r"[^&;#\s\"'<>]+")
_VALUE_TO_EOL = compile_fixed(r"[^\n\"']+")
_VALUE_TOKEN = compile_fixed(r"[^\s\"',;&<>]+")
_FIELDS = _set(
    "authorization proxy-authorization cookie set-cookie api-key x-api-key x-goog-api-key "
    "x-auth-token ocp-apim-subscription-key aws_secret_access_key aws_session_token "
    "aws_access_key_id accountkey sharedaccesskey sharedaccesssignature"
)
"""Well-known fields whose unquoted value is a secret even in lower case (headers, AWS
credential files, Azure connection strings)."""
_PAIR_NAMES = _set("SIG SIGNATURE")
"""Secret in a query string or connection string (`?sig=`) though too short a name elsewhere."""
_REST_OF_LINE = compile_fixed(r"[^\n]+")
_NOT_VALUES = frozenset((b"none", b"null", b"true", b"false", b"nil"))
_LITERALS_MAX_MEM = 256 << 20
_DIGIT = compile_fixed(r"[0-9]")


def _value_span(data: bytes, m: Any) -> tuple[int, int] | None:
    """Where the value after a secret-like name and its separator is, when it is to be hidden.

    An unquoted value after a lower-case name is code (`token=hf_token` in a traceback), left
    alone; a quoted one is data, hidden; so are unquoted values of env-style names, of query or
    connection strings (`?sig=`, `;AccountKey=`) and of well-known fields (`Authorization:`).
    """
    start, end = m.span()
    name = data[slice(*m.span(_NAME))].decode("ascii", "replace")
    before = data[start - 1 : start] if start else b"\n"
    in_pairs = before in (b"?", b"&", b";")
    if not (is_secret_name(name) or (in_pairs and name.upper() in _PAIR_NAMES)):
        return None
    raw_sep = data[slice(*m.span(_SEP))]
    sep = raw_sep.strip()
    if data[end : end + 1] in (b'"', b"'"):
        q = _QUOTED.match(data, end)
        closed = q.end() - end > 1 and data[q.end() - 1] == data[end]
        span = _span(q.start() + 1, q.end() - closed)
    elif in_pairs and sep == b"=":
        span = _match_span(_VALUE_IN_PAIRS, data, end)
    elif name.lower() in _FIELDS:
        span = _match_span(_VALUE_TO_EOL, data, end)
    elif name.isupper() and m.span(_NQ)[0] == m.span(_NQ)[1] and (raw_sep == b"=" or sep == b":"):
        env_line = raw_sep == b"=" and (
            before == b"\n" or data[max(0, start - 7) : start] == b"export "
        )
        span = _match_span(_REST_OF_LINE if env_line else _VALUE_TOKEN, data, end)
    else:
        return None
    if span is None:
        return None
    value = data[span[0] : span[1]].strip()
    if not value or value == REDACTED.encode() or value[:1] == b"$" or value.lower() in _NOT_VALUES:
        return None
    return span


def _span(start: int, end: int) -> tuple[int, int] | None:
    return (start, end) if end > start else None


def _match_span(rx: Any, data: bytes, pos: int) -> tuple[int, int] | None:
    m = rx.match(data, pos)
    return None if m is None else _span(int(m.start()), int(m.end()))


def _pattern_spans(data: bytes) -> list[tuple[int, int]]:
    """Spans of `data` to hide by shape and by name (one RE2 scan)."""
    spans: list[tuple[int, int]] = []
    for m in _PATTERN.finditer(data):
        if m.span(_PEM) != _NONE or m.span(_SHAPE) != _NONE:
            spans.append(m.span())
        elif m.span(_DIGIT_SHAPE) != _NONE:
            if _DIGIT.search(data, m.start(), m.end()) is not None:
                spans.append(m.span())
        elif m.span(_PW) != _NONE:
            spans.append(m.span(_PW))
            spans += _inner(data, *m.span(_USER))
        else:
            found = _value_span(data, m)
            if found is not None:
                spans.append(found)
            spans += _inner(data, *m.span(_NAME))
    if b"PRIVATE KEY" in data:
        end = _PEM_END.search(data)
        if end is not None and _PEM_BEGIN.search(data, 0, end.start()) is None:
            spans.append((0, int(end.end())))  # a key block whose start is before this text
    return spans


def _inner(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """Shapes inside a user name or a field name (`ghp_...@github.com`): a match that began
    there hid them from the scan. The piece holds no separator, so this recurses once."""
    piece = data[start:end]
    return [(start + a, start + b) for a, b in _pattern_spans(piece)] if len(piece) >= 10 else []


def _literal_spans(rx: Any, data: bytes) -> list[tuple[int, int]]:
    """Every occurrence of the secret values, overlapping ones included (one forward scan)."""
    spans: list[tuple[int, int]] = []
    hit = rx.search(data)
    while hit is not None:
        start, end = int(hit.start()), int(hit.end())
        hit = rx.search(data, start + 1)
        while hit is not None and hit.start() < end:
            end = max(end, int(hit.end()))
            hit = rx.search(data, int(hit.start()) + 1)
        spans.append((start, end))
    return spans


def _splice(data: bytes, spans: list[tuple[int, int]]) -> bytes:
    out: list[bytes] = []
    pos = 0
    for start, end in sorted(spans):
        if end <= pos:
            continue
        if start > pos:
            out += [data[pos:start], REDACTED.encode()]
        elif not out:
            out.append(REDACTED.encode())
        pos = end
    out.append(data[pos:])
    return b"".join(out)


@dataclass(frozen=True)
class Redactor:
    """Hides secrets; build one per answer with `redactor()` and apply it to every piece."""

    literals: Any  # RE2 alternation of the secret values, longest first; None when none

    def redact_bytes(self, data: bytes) -> bytes:
        spans = _pattern_spans(data)
        if self.literals is not None:
            spans += _literal_spans(self.literals, data)
        return _splice(data, spans) if spans else data

    def redact(self, text: str) -> str:
        data = text.encode("utf-8", "surrogatepass")
        out = self.redact_bytes(data)
        if out is data:
            return text
        try:
            return out.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return out.decode("utf-8", "replace")


@functools.lru_cache(maxsize=16)
def _build(values: frozenset[str]) -> Redactor:
    if not values:
        return Redactor(None)
    ordered = sorted(values, key=lambda v: (-len(v), v))  # at one place, the longest wins
    return Redactor(compile_fixed("|".join(map(escape, ordered)), max_mem=_LITERALS_MAX_MEM))


def redactor(values: Iterable[str] = ()) -> Redactor:
    """A redactor for the server's secrets (env, HF token file) and `values` (a job's env)."""
    extra: set[str] = set()
    for value in values:
        extra |= _pieces(value)
    return _build(_server_values() | extra)


def redact_text(text: str, values: Iterable[str] = ()) -> str:
    """`text` with every secret hidden: by value (the server's and `values`), name and shape."""
    return redactor(values).redact(text)
