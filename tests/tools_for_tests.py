"""Tools registered only under test settings, to drive the paths real tools rarely take."""

import os
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


class WorkerPidMiddleware:
    """Test settings only: names the serving process, so tests can see several were used."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Worker-PID"] = str(os.getpid())
        return response


@tool(
    name="test_effect",
    description="Sleeps for `seconds` (at most 5), then appends its request id to the file named by "
    "GATEWAY_TEST_EFFECT_FILE: a side effect the fault tests can count.",
    input_schema={
        "type": "object",
        "properties": {"seconds": {"type": "number", "minimum": 0, "maximum": 5}},
        "required": ["seconds"],
    },
)
def test_effect(call: ToolCall) -> dict:
    time.sleep(call.payload["seconds"])
    with open(os.environ["GATEWAY_TEST_EFFECT_FILE"], "a") as effects:
        effects.write(f"{call.request_id}\n")
    return {"done": True}
