"""The screenshots of docs/ui/, taken by headless Chromium from the real development stack.

``make screenshots`` (or ``python -m docs.ui.capture`` from the repository root, the venv's bin on PATH)
needs Chromium (``apt-get install chromium``; ``--chromium`` names another binary). It starts ``onboard
dev`` on free ports in a scratch folder and brings onboardings to several statuses. Chromium is driven over
the DevTools protocol rather than with ``--screenshot``, since the UI takes no columns from its URL: the
OnboardingStatus and KycStatus columns go into the browser's storage as the column picker puts them.
``onboardings.png`` is the workflow list ``onboard dev`` links to, saved as the view "Onboardings";
``onboarding.png`` the page a failed onboarding's ``links.temporal_ui`` opens. Not part of ``make test``
(CI has no Chromium).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from telemetry.temporal_ui import VIEW_COLUMNS, onboardings_url
from tests.support.stack import Stack, onboarding_body, run_stack

HERE = Path(__file__).resolve().parent
WIDTH = 1500
NAMESPACE = "default"
VIEW_NAME = "Onboardings"
#: the list's columns in the pictures: the UI's defaults, the onboarding columns instead of run id and type
COLUMNS = ["Status", "Workflow ID", *VIEW_COLUMNS, "Start", "End"]
#: what is done to each onboarding of the pictures; ``fail`` asks for numbers where the sandbox offers none,
#: so the provider's refusal fails it once KYC is approved
SCENES = {
    "cust-1001": "approve",
    "cust-1002": "wait",
    "cust-1003": "reject",
    "cust-1004": "cancel",
    "cust-1005": "expire",
    "cust-1006": "fail",
}
#: a country the sandbox has no numbers in
NO_NUMBERS = "ZZ"
SETTLED = {"completed", "failed", "kyc_rejected", "kyc_expired", "cancelled"}


def shows(*texts: str) -> str:
    """A JavaScript condition: the page's text contains every one of ``texts``."""
    return " && ".join(f"document.body.innerText.includes({json.dumps(text)})" for text in texts)


class Chromium:
    """One headless Chromium tab driven over the DevTools protocol."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events received meanwhile are dropped)."""
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def open(self, url: str, *, until: str, timeout_s: float = 30.0) -> None:
        """Go to ``url``, wait until the JavaScript condition ``until`` holds, then for the page to settle."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout_s
        while not self.evaluate(f"document.readyState === 'complete' && Boolean({until})"):
            if time.monotonic() > deadline:
                text = self.evaluate("document.body ? document.body.innerText : ''")
                raise TimeoutError(f"{url}: {until} never held; the page says:\n{text}")
            time.sleep(0.25)
        time.sleep(1.5)  # fonts, and the table's last layout pass

    def screenshot(self, path: Path, height: int) -> None:
        """Capture the viewport, ``WIDTH`` by ``height``, into ``path``."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        time.sleep(1.0)
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        print(f"wrote {path}")


@contextmanager
def chromium(binary: str) -> Iterator[Chromium]:
    """A headless Chromium with a profile of its own, closed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        args += [f"--user-data-dir={profile}", f"--window-size={WIDTH},900", "--remote-debugging-port=0"]
        process = subprocess.Popen([*args, "about:blank"], stderr=subprocess.PIPE, text=True)  # noqa: S603
        try:
            assert process.stderr is not None
            for line in process.stderr:
                if found := re.search(r"DevTools listening on ws://([^/]+)/", line):
                    break
            else:
                raise RuntimeError(f"{binary} exited with {process.wait()} before listening")
            targets = httpx.get(f"http://{found.group(1)}/json/list", timeout=10).json()
            page = next(target for target in targets if target["type"] == "page")
            with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
                yield Chromium(socket)
        finally:
            process.terminate()
            process.wait(timeout=15)


def stage(stack: Stack) -> dict[str, dict[str, Any]]:
    """Start the onboardings of :data:`SCENES`, move each to its status and return their documents."""
    documents: dict[str, dict[str, Any]] = {}
    with stack.api() as api:
        for reference, scene in SCENES.items():
            body = onboarding_body(reference, count=1)
            if scene == "fail":
                body["numbers"]["country"] = NO_NUMBERS
            started = api.post("/v1/onboardings", json=body)
            started.raise_for_status()
            waiting = stack.wait_for_status(api, started.json()["id"], {"awaiting_kyc"})
            session = waiting["kyc"]["session_id"]
            if scene in ("approve", "reject", "fail"):
                stack.approve_on_hosted_page(session, "rejected" if scene == "reject" else "approved")
            elif scene == "expire":
                httpx.post(f"{stack.sandbox_url}/_sandbox/kyc-sessions/{session}/expire").raise_for_status()
            elif scene == "cancel":
                api.post(f"/v1/onboardings/{waiting['id']}/cancel").raise_for_status()
            settled = {"awaiting_kyc"} if scene == "wait" else SETTLED
            documents[reference] = stack.wait_for_status(api, waiting["id"], settled)
            print(f"{reference}: {documents[reference]['status']}")
    return documents


def capture(stack: Stack, binary: str, out: Path) -> None:
    """Stage the onboardings and write both pictures into ``out``."""
    documents = stage(stack)
    failed = next(doc for doc in documents.values() if doc["status"] == "failed")
    columns = json.dumps(
        {NAMESPACE: [{"label": label, "pinned": index < 2} for index, label in enumerate(COLUMNS)]}
    )
    with chromium(binary) as browser:
        browser.open(stack.ui_url, until=shows("Workflows"))
        browser.evaluate(f"localStorage.setItem('namespace-workflow-table-columns', {json.dumps(columns)})")
        ids = [document["id"] for document in documents.values()]
        saving = f"{onboardings_url(stack.ui_url, NAMESPACE)}&savedQuery={VIEW_NAME}"  # as a shared view link
        browser.open(saving, until=shows(*ids, *VIEW_COLUMNS, VIEW_NAME))
        browser.screenshot(out / "onboardings.png", height=900)
        # decoded through the API's codec: the request, and the provider's refusal that failed it
        refusal = f"no numbers are offered in {NO_NUMBERS}"
        browser.open(failed["links"]["temporal_ui"], until=shows("business_name", refusal))
        browser.screenshot(out / "onboarding.png", height=1300)


def main() -> None:
    """Parse the arguments and capture."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chromium", default="chromium", help="the Chromium binary")
    parser.add_argument("--out", type=Path, default=HERE, help="where the PNGs go")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="screenshots-") as scratch,
        run_stack(Path(scratch)) as stack,
    ):
        capture(stack, args.chromium, args.out)


if __name__ == "__main__":
    main()
