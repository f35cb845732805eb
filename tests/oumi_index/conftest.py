"""A small fake oumi source tree, written by the tests (the index reads source, never imports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from oumi_mcp_server.oumi_index.source import OumiSource

FILES = {
    "__init__.py": '"""Fake oumi for index tests."""\n',
    "core/__init__.py": "",
    "core/configs/__init__.py": (
        '"""Configs."""\n'
        "from oumi.core.configs.training_config import TrainingConfig\n"
        "from oumi.core.configs.params.training_params import TrainerType, TrainingParams\n"
    ),
    "core/configs/base_config.py": (
        "from dataclasses import dataclass\n\n\n@dataclass\nclass BaseConfig:\n"
        '    """Base of every config."""\n\n    def finalize_and_validate(self) -> None:\n'
        '        """Check the config."""\n'
    ),
    "core/configs/params/__init__.py": "",
    "core/configs/params/base_params.py": (
        "import dataclasses\n\n\n@dataclasses.dataclass\nclass BaseParams:\n    pass\n"
    ),
    "core/configs/params/model_params.py": (
        "from dataclasses import dataclass, field\nfrom typing import Any, Optional\n"
        "from omegaconf import MISSING\n"
        "from oumi.core.configs.params.base_params import BaseParams\n\n\n"
        "@dataclass\nclass ModelParams(BaseParams):\n"
        '    """Which model.\n\n    More words that are not the first paragraph."""\n\n'
        "    model_name: str = MISSING\n"
        '    """The model id."""\n\n'
        "    model_kwargs: dict[str, Any] = field(default_factory=dict)\n"
        "    adapter_model: Optional[str] = None\n"
    ),
    "core/configs/params/training_params.py": (
        "from dataclasses import dataclass, field\nfrom enum import Enum\n"
        "from oumi.core.configs.params.base_params import BaseParams\n\n\n"
        'class TrainerType(Enum):\n    """Trainers."""\n\n    TRL_SFT = "trl_sft"\n'
        '    """SFT from trl."""\n\n    OUMI = "oumi"\n\n\n'
        "@dataclass\nclass TrainingParams(BaseParams):\n"
        '    """Training knobs."""\n\n'
        "    learning_rate: float = 5e-05\n"
        '    """The initial learning rate."""\n\n'
        "    max_steps: int = -1\n"
        "    trainer_type: TrainerType = TrainerType.TRL_SFT\n"
        "    tags: list[str] = field(default_factory=list)\n"
        '    workers: "int | str" = 0\n'
        "    output_dir: str = 'output'\n\n\n"
        "@dataclass\nclass GrpoTrainingParams(TrainingParams):\n"
        "    max_steps: int = 10\n"
        "    num_generations: int | None = None\n"
    ),
    "core/configs/training_config.py": (
        "from dataclasses import dataclass, field\n"
        "from oumi.core.configs.base_config import BaseConfig\n"
        "from oumi.core.configs.params.model_params import ModelParams\n"
        "from oumi.core.configs.params.training_params import TrainingParams\n\n\n"
        "@dataclass\nclass TrainingConfig(BaseConfig):\n"
        '    """Everything a training run needs."""\n\n'
        "    model: ModelParams = field(default_factory=ModelParams)\n"
        "    training: TrainingParams = field(default_factory=TrainingParams)\n"
    ),
    "core/registry/__init__.py": (
        "from oumi.core.registry.registry import RegistryType, register, register_dataset\n"
    ),
    "core/registry/registry.py": (
        "from enum import Enum, auto\n\n\nclass RegistryType(Enum):\n    DATASET = auto()\n"
        "    MODEL = auto()\n\n\ndef register(name, kind):\n    return lambda x: x\n\n\n"
        "def register_dataset(name, subset=None):\n    return lambda x: x\n"
    ),
    "datasets/__init__.py": "",
    "datasets/alpaca.py": (
        'raise RuntimeError("the index must never import oumi")\n'
        "from oumi.core.registry import register_dataset\n\n\n"
        '@register_dataset("yahma/alpaca-cleaned")\n@register_dataset("tatsu-lab/alpaca")\n'
        'class AlpacaDataset:\n    """The Alpaca instruction dataset."""\n'
    ),
    "models/__init__.py": "",
    "models/mlp.py": (
        "from oumi.core import registry\n\n\n"
        '@registry.register("MlpEncoder", registry.RegistryType.MODEL)\n'
        'class MLPEncoder:\n    """A tiny MLP."""\n\n'
        "    def __init__(self, size: int = 8) -> None:\n"
        "        self.size = size\n"
    ),
    "builders/__init__.py": "",
    "builders/models.py": (
        '"""Model builders."""\n\n\ndef build_model(model_params, peft_params=None, **kwargs):\n'
        '    """Build a model from its params.\n\n    Details."""\n'
    ),
    "cli/__init__.py": "",
    "cli/cli_utils.py": 'CONFIG_FLAGS = ["--config", "-c"]\n',
    "cli/alias.py": (
        "from enum import Enum\n\n\nclass AliasType(str, Enum):\n    TRAIN = 'train'\n"
        "    INFER = 'infer'\n\n\n_ALIASES = {\n    'smollm-135m': {\n"
        "        AliasType.TRAIN: 'oumi://configs/recipes/smollm/sft/135m/train.yaml',\n"
        "        AliasType.INFER: 'oumi://configs/recipes/smollm/inference/135m_infer.yaml',\n"
        "    },\n}\n"
    ),
    "cli/analyze.py": "_OLD_CONFIG_FIELDS = {\n    'dataset_source',\n    'processor_name',\n}\n",
    "cli/train.py": (
        "from typing import Annotated\n\nimport typer\n\nfrom oumi.cli import cli_utils\n\n\n"
        "def train(\n    config: Annotated[str, typer.Option(*cli_utils.CONFIG_FLAGS, "
        'help="Path or name of the config.")],\n'
        '    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say more."),\n):\n'
        '    """Train a model."""\n'
    ),
    "cli/main.py": (
        "import typer\n\nfrom oumi.cli.train import train\n\n\ndef get_app():\n"
        "    app = typer.Typer()\n"
        '    app.command(help="Fine-tune or pre-train a model.")(train)\n'
        '    app.command(name="tr", hidden=True, help="Alias.")(train)\n'
        "    launch_app = typer.Typer()\n"
        '    launch_app.command(name="up", help="Start a cluster and run a job.")(train)\n'
        '    app.add_typer(launch_app, name="launch")\n    return app\n'
    ),
    "core/tests/__init__.py": "",
    "core/tests/test_fake.py": "def test_x():\n    pass\n",
}


@pytest.fixture
def fake_oumi(tmp_path: Path) -> OumiSource:
    root = tmp_path / "site" / "oumi"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return OumiSource(root=root, version="0.0-test", fingerprint="fake0001")
