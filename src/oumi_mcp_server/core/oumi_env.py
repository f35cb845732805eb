"""Environment for oumi runs that must stay offline and quiet (the demo, the test suite).

oumi's analytics upload otherwise doubles a run's time, and the hub libraries would try the
network for every model and dataset name.
"""

OFFLINE_ENV: dict[str, str] = {
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "WANDB_MODE": "disabled",
    "TOKENIZERS_PARALLELISM": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",  # mlflow ignores DO_NOT_TRACK=1 (it wants "true")
}
