"""An ansible-playbook stdout callback that prints one JSON document shaped like our report.

Used by the differential executor tests: the same play runs under ansible-playbook and as a
compiled binary, and the two reports are compared task by task.
"""

from __future__ import annotations

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: rustle_record
type: stdout
short_description: JSON records of every task result, for rustle-invoke's tests
description: One JSON document with a record per task result and the recap.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "rustle_record"

    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[dict] = []
        self.handlers: list[dict] = []

    def _record(self, result, status: str, ignored: bool = False) -> None:
        data = dict(result._result)
        record = {
            "name": result._task.get_name(),
            "status": status,
            "changed": bool(data.get("changed", False)),
            "ignored": ignored,
            "msg": data.get("msg"),
            "rc": data.get("rc"),
            "stdout": data.get("stdout"),
            "results": [
                {k: r.get(k) for k in ("changed", "failed", "skipped", "item", "msg", "stdout")}
                for r in data.get("results", [])
            ],
            # The module's own result keys (path, mode, checksum, diff, ...).
            "result": {k: v for k, v in data.items() if k not in ("invocation", "results")},
        }
        (self.handlers if _is_handler(result) else self.tasks).append(record)

    def v2_runner_on_ok(self, result) -> None:
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._record(result, "failed", ignored=bool(ignore_errors))

    def v2_runner_on_skipped(self, result) -> None:
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats) -> None:
        summary = stats.summarize("localhost")
        self._display.display(
            json.dumps(
                {
                    "tasks": self.tasks,
                    "handlers": self.handlers,
                    "recap": {
                        "ok": summary["ok"],
                        "changed": summary["changed"],
                        "failed": summary["failures"],
                        "skipped": summary["skipped"],
                        "ignored": summary["ignored"],
                    },
                },
                default=str,
            )
        )


def _is_handler(result) -> bool:
    from ansible.playbook.handler import Handler

    return isinstance(result._task, Handler)
