"""Schema compaction keeps what a schema accepts while dropping what the assistant need not read."""

from __future__ import annotations

import jsonschema
from pydantic import BaseModel

from oumi_mcp_server.server.schemas import compact_schema, shallow_output_schema


class Inner(BaseModel):
    step: int | None = None
    loss: float | None = None


class Outer(BaseModel):
    """Prose that the output schema drops."""

    name: str
    count: int | None = None
    inner: Inner | None = None
    items: list[Inner] = []


def test_nullable_union_folds_into_type_list_and_titles_go() -> None:
    schema = compact_schema(Outer.model_json_schema())
    assert schema["properties"]["count"] == {"type": ["integer", "null"]}
    assert "title" not in schema and "title" not in schema["properties"]["name"]
    assert schema["$defs"]["Inner"]["properties"]["step"] == {"type": ["integer", "null"]}


def test_a_property_called_title_is_kept() -> None:
    class Titled(BaseModel):
        title: str

    assert "title" in compact_schema(Titled.model_json_schema())["properties"]


def test_shallow_output_schema_accepts_every_valid_answer_and_rejects_wrong_types() -> None:
    schema = shallow_output_schema(Outer.model_json_schema())
    assert "$defs" not in schema and "description" not in schema
    assert schema["properties"]["inner"] == {"type": ["object", "null"]}
    answer = Outer(name="x", count=2, inner=Inner(step=1), items=[Inner(loss=0.5)])
    jsonschema.validate(answer.model_dump(mode="json"), schema)
    jsonschema.validate(Outer(name="y").model_dump(mode="json"), schema)
    try:
        jsonschema.validate({"name": 3}, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("a wrong type must still be rejected")
