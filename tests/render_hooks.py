"""Stand-in renderers for the render-limit tests, imported by the rendering child process by path
(``render_hooks:<name>``): the child is a separate process, so monkeypatching cannot reach it."""

from __future__ import annotations

import os
import time
from pathlib import Path


def tiny(context):
    """A small valid-looking PDF at once."""
    return b"%PDF-1.7\n" + b"x" * int(context.get("pad", 0)) + b"\n%%EOF\n"


def sleepy(context):
    """Write the child's pid to ``context["pid_file"]``, then take far longer than any test's time limit."""
    Path(context["pid_file"]).write_text(str(os.getpid()), encoding="ascii")
    time.sleep(120)
    return b"%PDF-1.7\n%%EOF\n"


def fails(context):
    raise ValueError("the template could not be rendered: boom")


class OddError(Exception):
    """An exception that does not survive pickling (its constructor needs two arguments)."""

    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def fails_oddly(context):
    raise OddError("left", "right")


def dies(context):
    os._exit(3)  # like a crash or the kernel's out-of-memory killer: no answer, no clean-up
