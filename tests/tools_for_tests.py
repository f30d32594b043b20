"""Tools registered only under test settings, to drive the paths real tools rarely take."""

import time

from tools.registry import ToolCall, tool


@tool(
    name="test_sleep",
    description="Sleeps for `seconds` (at most 5), then echoes the payload: keeps an idempotency claim busy.",
    input_schema={
        "type": "object",
        "properties": {"seconds": {"type": "number", "minimum": 0, "maximum": 5}},
        "required": ["seconds"],
    },
)
def test_sleep(call: ToolCall) -> dict:
    time.sleep(call.payload["seconds"])
    return {"slept": call.payload["seconds"]}


@tool(
    name="test_explode",
    description="Raises an unexpected exception: the server-error path.",
    input_schema={"type": "object"},
)
def test_explode(call: ToolCall) -> dict:
    raise RuntimeError("secret internal detail that must never reach a client")


@tool(
    name="test_heavy",
    description="Meters three units per call.",
    input_schema={"type": "object"},
    units=3,
)
def test_heavy(call: ToolCall) -> dict:
    return {"ok": True}
