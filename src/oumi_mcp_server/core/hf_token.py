"""Where a Hugging Face token would come from: by variable name or file path, never its value.

The places `huggingface_hub.get_token` looks, without importing it (slow, and it fixes `HF_HOME`
when first imported, where a test or the doctor must see the current environment).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

TOKEN_ENVS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")

TokenSource = tuple[Literal["env", "file"], str]


def token_source() -> TokenSource | None:
    """("env", variable name) or ("file", token file path); None when no token is set."""
    for name in TOKEN_ENVS:
        if os.environ.get(name):
            return "env", name
    path = token_file()
    if path.is_file() and path.stat().st_size > 0:
        return "file", str(path)
    return None


def token_file() -> Path:
    """Where a saved token lives (HF_TOKEN_PATH, else HF_HOME/token), whether or not it exists."""
    hf_home = Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")
    return Path(os.environ.get("HF_TOKEN_PATH") or hf_home / "token")
