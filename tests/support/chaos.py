"""The chaos run shared by ``tests/chaos`` (CI size) and ``bench/chaos.py`` (larger).

Starts the stack process by process, injects provider faults on every route, SIGKILLs workers,
restarts the Temporal server and the API, abuses the webhook route (duplicates, stale and
reordered verdicts), and runs onboardings with mixed outcomes, each with status callbacks to one of three
reseller endpoints: a steady one, a flaky one (503 at random) and one that hangs for the first 20 s.
Some approved customers are then suspended, resumed and offboarded through the same chaos. Beside them a
batch (sent twice) starts more, slowly, through the kills and restarts; their customers let their KYC
sessions expire.
The agent platform is squeezed: it holds one sub-account more than the customers that keep theirs to the
end, fewer than the customers that reach the agent step (those, and the offboarded ones), so some
onboardings wait in ``awaiting_agent_capacity``; the offboardings, held back until one is seen waiting,
free the slots they go on with.
Then it counts, from the sandbox's state and our API, what was duplicated and what was lost, from
Temporal, which batch row's onboarding ran more than once, and from the endpoints, which status changes
never reached them (in order, deduplicated by ``webhook-id``) and how long each onboarding waited for an
agent-platform slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx

from config import DEV_CARRIER_AUTH_TOKEN
from providers.kyc_models import kyc_signature
from tests.support.components import Components
from tests.support.receiver import WebhookReceiver, run_receiver
from tests.support.stack import API_KEY
from worker.client import connect

#: What each kind of customer does, and the terminal status it must end in.
EXPECTED = {
    "approve": "completed",
    "reject-restart-approve": "completed",
    "reject": "failed",
    "expire": "kyc_expired",
    "cancel": "cancelled",
    # approved, then the reseller runs the customer's lifecycle operations in this order
    "approve-suspend": "suspended",
    "approve-suspend-resume": "active",
    "approve-suspend-offboard": "offboarded",
}
#: the lifecycle operations (and their requests) each kind runs once completed
LIFECYCLE: dict[str, list[tuple[str, dict[str, str] | None, str]]] = {
    "approve-suspend": [("suspend", {"reason": "non_payment"}, "suspended")],
    "approve-suspend-resume": [("suspend", {"reason": "abuse"}, "suspended"), ("resume", None, "active")],
    "approve-suspend-offboard": [
        ("suspend", {"reason": "reseller_request"}, "suspended"),
        ("offboard", {"numbers": "release"}, "offboarded"),
    ],
}
TERMINAL = {"completed", "failed", "kyc_expired", "cancelled", "suspended", "active", "offboarded"}
#: the customer holds its sub-account, numbers and agent
HOLDING = {"completed", "suspended", "active"}
#: the customer took an agent-platform slot on the way (the offboarded gave it back)
REACH_AGENT = HOLDING | {"offboarded"}
ENDPOINTS = ("steady", "flaky", "hanging")
#: How long the hanging endpoint holds every request before it starts answering.
HANG_S = 20.0
#: After the last onboarding ends, its callbacks get this long to arrive.
CALLBACKS_GRACE_S = 180.0
#: The agent platform's published limit of sub-accounts per master account.
PLATFORM_LIMIT = 25
#: An offboarding waits at most this long for the squeeze (an onboarding seen waiting for agent capacity).
SQUEEZE_WAIT_S = 150.0


@dataclass
class ChaosReport:
    """The figures of one chaos run."""

    onboardings: int
    batch_rows: int
    faults: dict[str, int]
    worker_kills: int
    server_restarts: int
    api_restarts: int
    duplicates: int
    lost: int
    orphaned: int
    #: onboardings whose endpoint did not get every status change, in order
    undelivered: int
    wall_s: float
    #: the agent platform's sub-account limit in the run, and how many the customers reaching it need
    agent_slots: int = 0
    agent_slots_needed: int = 0
    #: onboardings that waited in ``awaiting_agent_capacity``, and the longest wait (seconds)
    waited_for_capacity: int = 0
    longest_capacity_wait_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line of figures."""
        faults = " ".join(f"{kind}={count}" for kind, count in sorted(self.faults.items()))
        return (
            f"onboardings={self.onboardings} batch_rows={self.batch_rows} faults[{faults}] "
            f"worker_kills={self.worker_kills} "
            f"server_restarts={self.server_restarts} api_restarts={self.api_restarts} "
            f"duplicates={self.duplicates} lost={self.lost} orphaned={self.orphaned} "
            f"undelivered={self.undelivered} agent_slots={self.agent_slots}/{self.agent_slots_needed} "
            f"waited_for_capacity={self.waited_for_capacity} "
            f"longest_capacity_wait={self.longest_capacity_wait_s:.1f}s wall={self.wall_s:.1f}s"
        )


@dataclass
class Customer:
    """One onboarding and what its customer does."""

    reference: str
    kind: str
    count: int
    numbers_provider: str
    endpoint: str
    onboarding_id: str = ""
    sub_account_id: str | None = None
    status: str = "not started"
    #: started by the batch, not one by one
    in_batch: bool = False
    #: seconds it waited in ``awaiting_agent_capacity`` (None: it never did), from its status callbacks
    capacity_wait_s: float | None = None


class Chaos:
    """Drives one chaos run against ``components``."""

    def __init__(
        self, components: Components, count: int, fault_rate: float, seed: int, batch_rows: int = 10
    ) -> None:
        self.components = components
        self.random = random.Random(seed)
        self.customers = [
            Customer(
                reference=f"chaos-{seed}-{i:04d}",
                kind=kind,
                count=1 + i % 2,
                numbers_provider="agent_platform" if i % 3 == 2 else "carrier",
                endpoint=ENDPOINTS[i % len(ENDPOINTS)],
            )
            for i, kind in enumerate(kinds_of(count))
        ]
        self.agent_slots = agent_slots(count)
        self.agent_slots_needed = sum(EXPECTED[c.kind] in REACH_AGENT for c in self.customers)
        #: set once an onboarding is seen waiting for agent capacity: the offboardings wait for it
        self.squeezed = asyncio.Event()
        self.batch = [
            Customer(
                reference=f"chaos-{seed}-batch-{i:03d}",
                kind="expire",
                count=1,
                numbers_provider="carrier",
                endpoint=ENDPOINTS[i % len(ENDPOINTS)],
                in_batch=True,
            )
            for i in range(batch_rows)
        ]
        #: set once the batch decided every row (whatever became of them)
        self.batch_decided = asyncio.Event()
        self.fault_rate = fault_rate
        self.endpoints: dict[str, WebhookReceiver] = {}
        self.worker_kills = 0
        self.server_restarts = 0
        self.api_restarts = 0

    async def run(self, *, kills: int, server_restarts: int, timeout_s: float) -> ChaosReport:
        """Run every customer while the faults happen; then count duplicates and losses."""
        started = time.perf_counter()
        with (
            run_receiver() as steady,
            run_receiver() as flaky,
            run_receiver() as hanging,
        ):
            self.endpoints = {"steady": steady, "flaky": flaky, "hanging": hanging}
            flaky.statuses = _flaky_answers(self.random, 100 * len(self.everyone))
            hanging.open.clear()
            asyncio.get_running_loop().call_later(HANG_S, hanging.open.set)
            async with (
                httpx.AsyncClient(
                    base_url=self.components.api_url,
                    headers={"Authorization": f"Bearer {API_KEY}"},
                    timeout=30,
                ) as api,
                httpx.AsyncClient(base_url=self.components.sandbox_url, timeout=30) as sandbox,
            ):
                await self._inject_faults(sandbox)
                disruptions = asyncio.create_task(self._disrupt(kills, server_restarts))
                batching = asyncio.create_task(self._batch(api, timeout_s))
                outcomes = await asyncio.gather(
                    *(self._customer(api, sandbox, c, timeout_s) for c in self.everyone),
                    return_exceptions=True,
                )
                try:
                    batch_problems = await batching
                except Exception as failure:
                    batch_problems = [f"batch: {type(failure).__name__}: {failure}"]
                await disruptions
                twice = await self._batch_rows_run_twice()
                injected = (await sandbox.get("/_sandbox/faults")).json().get("injected", {})
                await sandbox.delete("/_sandbox/faults")
                state = (await sandbox.get("/_sandbox/state")).json()
            undelivered = await self._callbacks_settled()
            for customer in self.everyone:
                customer.capacity_wait_s = self._capacity_wait(customer)
        duplicates, problems = self._duplicates(state)
        problems += undelivered
        waits = [c.capacity_wait_s for c in self.everyone if c.capacity_wait_s is not None]
        if self.agent_slots_needed > self.agent_slots and not waits:
            problems.append(
                f"no onboarding waited for agent capacity ({self.agent_slots_needed} customers reach "
                f"the agent step, {self.agent_slots} slots)"
            )
        orphaned = state["numbers_of_no_sub_account"] + state["agent_sub_accounts_of_no_sub_account"]
        if orphaned:
            problems.append(
                f"{state['numbers_of_no_sub_account']} number(s) owned by the master account alone, "
                f"{state['agent_sub_accounts_of_no_sub_account']} agent-platform sub-account(s) of none"
            )
        problems += [
            f"{c.reference}: {type(o).__name__}: {o}"
            for c, o in zip(self.everyone, outcomes, strict=True)
            if o
        ]
        problems += batch_problems + twice
        lost = [c for c in self.everyone if c.status != EXPECTED[c.kind]]
        problems += [f"{c.reference} ({c.kind}) ended {c.status}" for c in lost]
        return ChaosReport(
            onboardings=len(self.customers),
            batch_rows=len(self.batch),
            faults=dict(injected),
            worker_kills=self.worker_kills,
            server_restarts=self.server_restarts,
            api_restarts=self.api_restarts,
            duplicates=duplicates + len(twice),
            lost=len(lost),
            orphaned=orphaned,
            undelivered=len(undelivered),
            wall_s=time.perf_counter() - started,
            agent_slots=self.agent_slots,
            agent_slots_needed=self.agent_slots_needed,
            waited_for_capacity=len(waits),
            longest_capacity_wait_s=max(waits, default=0.0),
            problems=problems,
        )

    async def _inject_faults(self, sandbox: httpx.AsyncClient) -> None:
        rate = self.fault_rate
        faults = {
            "error_rate": rate,
            "rate_limit_rate": rate,
            "retry_after_s": 1,
            "drop_response_rate": rate,
            "latency_ms": 20,
            "seed": self.random.randrange(1 << 30),
        }
        (await sandbox.put("/_sandbox/faults", json=faults)).raise_for_status()

    async def _disrupt(self, kills: int, server_restarts: int) -> None:
        """Kill workers, restart the Temporal server and the API while onboardings run."""
        components = self.components
        plan = ["kill"] * kills + ["server"] * server_restarts + ["api"]
        self.random.shuffle(plan)
        for action in plan:
            await asyncio.sleep(self.random.uniform(3.0, 6.0))
            if action == "kill":
                victim = self.random.choice(components.worker_names)
                components.kill(victim)
                self.worker_kills += 1
                await asyncio.sleep(1.0)
                await asyncio.to_thread(components.start, victim)
            elif action == "server":
                await asyncio.to_thread(components.stop, "temporal")
                await asyncio.sleep(2.0)
                await asyncio.to_thread(components.start, "temporal")
                self.server_restarts += 1
            else:
                await asyncio.to_thread(components.stop, "api")
                await asyncio.sleep(1.0)
                await asyncio.to_thread(components.start, "api")
                self.api_restarts += 1

    async def _customer(
        self, api: httpx.AsyncClient, sandbox: httpx.AsyncClient, customer: Customer, timeout_s: float
    ) -> None:
        deadline = time.monotonic() + timeout_s
        if customer.in_batch:
            await asyncio.wait_for(self.batch_decided.wait(), timeout_s)
            customer.onboarding_id = f"onboarding-{customer.reference}"
        else:
            body = _body(customer, self.endpoints[customer.endpoint].url)
            started = await _persist(lambda: api.post("/v1/onboardings", json=body), deadline)
            customer.onboarding_id = started["id"]
        waiting = await self._wait(api, customer, {"awaiting_kyc"}, deadline)
        customer.sub_account_id = waiting["sub_account_id"]
        first_session = waiting["kyc"]["session_id"]
        if customer.kind == "cancel":
            await _persist(lambda: api.post(f"/v1/onboardings/{customer.onboarding_id}/cancel"), deadline)
        elif customer.kind == "expire":
            await _persist(lambda: sandbox.post(f"/_sandbox/kyc-sessions/{first_session}/expire"), deadline)
        elif customer.kind == "approve":
            await _decide(sandbox, first_session, "approved", deadline)
            await self._abuse_webhooks(api, waiting, deadline)
        elif customer.kind in LIFECYCLE:
            await _decide(sandbox, first_session, "approved", deadline)
            await self._wait(api, customer, {"completed"}, deadline)
            await self._lifecycle(api, customer, deadline)
        else:
            await _decide(sandbox, first_session, "rejected", deadline)
            if customer.kind == "reject-restart-approve":
                await self._wait(api, customer, {"kyc_rejected"}, deadline)
                await self._restart(api, customer, deadline)
                again = await self._wait(api, customer, {"awaiting_kyc"}, deadline)
                # a late rejection for the first session must change nothing
                await self._send_webhook(api, first_session, waiting["sub_account_id"], "failed", deadline)
                await _decide(sandbox, again["kyc"]["session_id"], "approved", deadline)
        await self._wait(api, customer, TERMINAL, deadline)

    async def _lifecycle(self, api: httpx.AsyncClient, customer: Customer, deadline: float) -> None:
        """The customer's lifecycle operations, one after the other; every repeat after a lost answer
        carries the same key, and must do nothing twice."""
        for step, (operation, body, reached) in enumerate(LIFECYCLE[customer.kind]):
            if operation == "offboard" and self.agent_slots_needed > self.agent_slots:
                # the squeeze: the slot this offboarding frees goes to an onboarding waiting for one
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.squeezed.wait(), SQUEEZE_WAIT_S)
            key = {"Idempotency-Key": f"{customer.reference}-{step}-{operation}"}
            url = f"/v1/onboardings/{customer.onboarding_id}/{operation}"
            await _persist(lambda: api.post(url, json=body, headers=key), deadline)  # noqa: B023
            await self._wait(api, customer, {reached}, deadline)

    @property
    def everyone(self) -> list[Customer]:
        """The customers started one by one, then the batch's."""
        return self.customers + self.batch

    async def _batch(self, api: httpx.AsyncClient, timeout_s: float) -> list[str]:
        """Send the batch, and again a little later as a client unsure it arrived would (it must answer the
        same batch); wait until every row is decided, all of them started. Returns what went wrong, one
        line each."""
        if not self.batch:
            return []
        deadline = time.monotonic() + timeout_s
        rows = "\n".join(json.dumps(_body(c, self.endpoints[c.endpoint].url)) for c in self.batch)
        headers = {"content-type": "application/x-ndjson"}

        def send() -> Any:
            return api.post("/v1/batches", content=rows, headers=headers, params={"reference": "chaos"})

        first = await _persist(send, deadline)
        await asyncio.sleep(5.0)
        again = await _persist(send, deadline)
        problems = [] if again["id"] == first["id"] else [f"the batch sent again is {again['id']}"]
        while True:
            batch = await _persist(lambda: api.get(f"/v1/batches/{first['id']}"), deadline)
            if batch["state"] == "completed":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the batch stuck: {batch['outcomes']}")
            await asyncio.sleep(1.0)
        self.batch_decided.set()
        if batch["outcomes"]["started"] != len(self.batch):
            problems.append(f"batch rows {batch['outcomes']}, wanted all {len(self.batch)} started")
        return problems

    async def _batch_rows_run_twice(self) -> list[str]:
        """The batch rows whose onboarding workflow Temporal ran more (or less) than once."""
        client = await connect(self.components.settings)
        problems = []
        for customer in self.batch:
            runs = [
                run async for run in client.list_workflows(f'WorkflowId="onboarding-{customer.reference}"')
            ]
            if len(runs) != 1:
                problems.append(f"{customer.reference}: {len(runs)} runs of its onboarding")
        return problems

    async def _restart(self, api: httpx.AsyncClient, customer: Customer, deadline: float) -> None:
        """Ask for a new session; every repeat after a lost answer carries the same key."""
        key = {"Idempotency-Key": f"{customer.reference}-restart"}
        url = f"/v1/onboardings/{customer.onboarding_id}/kyc/restart"
        await _persist(lambda: api.post(url, headers=key), deadline)

    async def _abuse_webhooks(self, api: httpx.AsyncClient, waiting: dict[str, Any], deadline: float) -> None:
        """An approval delivered twice and an expiry after it: neither may change the outcome."""
        session, sub = waiting["kyc"]["session_id"], waiting["sub_account_id"]
        for _ in range(2):
            await self._send_webhook(api, session, sub, "verified", deadline)
        await self._send_webhook(api, session, sub, "expired", deadline)

    async def _send_webhook(
        self, api: httpx.AsyncClient, session_id: str, sub_auth_id: str, overall: str, deadline: float
    ) -> None:
        """A correctly signed KYC webhook, as the provider (or a replay of it) would send it."""
        verdicts = {"verified": "kyc.completed", "failed": "kyc.failed", "expired": "kyc.session_expired"}
        payload = json.dumps(
            {
                "event": verdicts[overall],
                "session_id": session_id,
                "sub_auth_id": sub_auth_id,
                "overall_status": "not_started" if overall == "expired" else overall,
                "verifications": {},
                "occurred_at": datetime.now(UTC).isoformat(),
            }
        ).encode()
        headers = {
            "X-Vobiz-Signature": kyc_signature(payload, DEV_CARRIER_AUTH_TOKEN),
            "content-type": "application/json",
        }
        await _persist(lambda: api.post("/webhooks/kyc", content=payload, headers=headers), deadline)

    async def _wait(
        self, api: httpx.AsyncClient, customer: Customer, wanted: set[str], deadline: float
    ) -> dict[str, Any]:
        while True:
            document = await _persist(lambda: api.get(f"/v1/onboardings/{customer.onboarding_id}"), deadline)
            customer.status = document["status"]
            if customer.status == "awaiting_agent_capacity":
                self.squeezed.set()
            if customer.status in wanted or customer.status in TERMINAL:
                return document
            if time.monotonic() > deadline:
                raise TimeoutError(f"{customer.reference} stuck in {customer.status}")
            await asyncio.sleep(0.5)

    async def _callbacks_settled(self) -> list[str]:
        """Wait (at most :data:`CALLBACKS_GRACE_S`) until every started onboarding's endpoint took each of
        its status changes; then what is missing or out of order, one line per onboarding."""
        deadline = time.monotonic() + CALLBACKS_GRACE_S
        while True:
            gaps = [gap for c in self.everyone if c.onboarding_id and (gap := self._callback_gap(c))]
            if not gaps or time.monotonic() > deadline:
                return gaps
            await asyncio.sleep(1.0)

    def _callback_gap(self, customer: Customer) -> str | None:
        """Why ``customer``'s endpoint has not got every change, in order, ending in its final status: the
        onboarding's ending ``completed``, then (with a lifecycle) the lifecycle workflow's."""
        if customer.kind not in LIFECYCLE:
            return self._workflow_gap(customer, customer.onboarding_id, customer.status)
        lifecycle_id = customer.onboarding_id.replace("onboarding-", "customer-", 1)
        return self._workflow_gap(customer, customer.onboarding_id, "completed") or self._workflow_gap(
            customer, lifecycle_id, customer.status
        )

    def _capacity_wait(self, customer: Customer) -> float | None:
        """How long ``customer``'s onboarding waited in ``awaiting_agent_capacity``, by the status changes
        its endpoint got (each stamped when it happened): from that status to the next one."""
        receiver: WebhookReceiver = self.endpoints[customer.endpoint]
        prefix = f"{customer.onboarding_id}:"
        changes: dict[int, dict[str, Any]] = {}
        for delivery in receiver.accepted():
            webhook_id = delivery.headers["webhook-id"]
            if webhook_id.startswith(prefix) and delivery.event["type"] == "onboarding.status_changed":
                changes.setdefault(int(webhook_id.removeprefix(prefix)), delivery.event["data"])
        ordered = [changes[n] for n in sorted(changes)]
        for before, after in pairwise(ordered):
            if before["status"] == "awaiting_agent_capacity" != after["status"]:
                began = datetime.fromisoformat(before["updated_at"])
                return (datetime.fromisoformat(after["updated_at"]) - began).total_seconds()
        return None

    def _workflow_gap(self, customer: Customer, workflow_id: str, final: str) -> str | None:
        """Why the callbacks of ``workflow_id`` are not every one, in order, ending in ``final``."""
        receiver: WebhookReceiver = self.endpoints[customer.endpoint]
        prefix = f"{workflow_id}:"
        firsts: dict[str, str] = {}
        for delivery in receiver.accepted():
            webhook_id = delivery.headers["webhook-id"]
            if webhook_id.startswith(prefix):
                firsts.setdefault(webhook_id, delivery.event["data"]["status"])
        numbers = [int(webhook_id.removeprefix(prefix)) for webhook_id in firsts]
        last = list(firsts.values())[-1] if firsts else None
        if numbers != list(range(1, len(numbers) + 1)) or last != final:
            return f"{workflow_id} ({customer.endpoint}): callbacks {numbers} ending {last}"
        return None

    def _duplicates(self, state: dict[str, Any]) -> tuple[int, list[str]]:
        """Resources beyond what the onboardings asked for, and what is left behind by compensated ones."""
        problems: list[str] = []
        duplicates = 0
        by_sub: dict[str, dict[str, Any]] = state["by_sub_account"]
        expected_subs = set()
        for customer in self.everyone:
            mine = by_sub.get(customer.sub_account_id or "")
            if customer.status in HOLDING:
                expected_subs.add(customer.sub_account_id)
                want = {"numbers": customer.count, "agents": 1, "agent_sub_accounts": 1}
                for key, wanted in want.items():
                    got = 0 if mine is None else mine[key]
                    if got > wanted:
                        duplicates += got - wanted
                    if got != wanted:
                        problems.append(f"{customer.reference}: {key}={got}, wanted {wanted}")
            elif mine is not None:
                problems.append(f"{customer.reference} ({customer.status}) left {mine}")
        strays = [sub for sub in by_sub if sub not in expected_subs]
        duplicates += len(strays)
        problems += [f"sub-account {sub} belongs to no customer holding one" for sub in strays]
        return duplicates, problems


def _flaky_answers(dice: random.Random, count: int) -> list[int]:
    """A flaky endpoint's answers: one in five a 503, never two in a row. A callback is retried with
    exponential backoff (up to 10 minutes apart), so runs of failures would outlast the run's grace."""
    answers: list[int] = []
    for _ in range(count):
        answers.append(204 if answers and answers[-1] == 503 else dice.choice([204, 204, 204, 204, 503]))
    return answers


def _body(customer: Customer, callback_url: str) -> dict[str, Any]:
    return {
        "callback_url": callback_url,
        "reference": customer.reference,
        "business_name": "Chaos Clinic",
        "email": "chaos@example.com",
        "business_type": "individual",
        "kyc_mode": "customer_use",
        "numbers": {"country": "IN", "count": customer.count, "provider": customer.numbers_provider},
        "agent": {"name": "Chaos agent", "system_prompt": "Answer calls."},
    }


async def _persist(send: Any, deadline: float, *, settled_by: int | None = None) -> dict[str, Any]:
    """Repeat a request while the API is restarting or Temporal is unreachable (5xx, refused, cut);
    ``settled_by`` is an answer that means an earlier try whose answer was lost already did it."""
    while True:
        try:
            response: httpx.Response = await send()
            if response.status_code == settled_by:
                return {}
            if response.status_code < 500:
                if response.is_error:
                    request = response.request
                    raise RuntimeError(
                        f"{request.method} {request.url.path} -> {response.status_code}: {response.text}"
                    )
                result: dict[str, Any] = response.json()
                return result
        except (httpx.TransportError, httpx.TimeoutException):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the API kept failing")
        await asyncio.sleep(0.5)


async def _decide(sandbox: httpx.AsyncClient, session_id: str, outcome: str, deadline: float) -> None:
    """The customer opens the session's link (either flow) and finishes it; a busy sandbox is asked again
    (a 409 then means the lost try finished it)."""
    session = f"/_sandbox/kyc-sessions/{session_id}"
    await _persist(lambda: sandbox.post(f"{session}/open"), deadline, settled_by=409)
    await _persist(
        lambda: sandbox.post(f"{session}/complete", json={"outcome": outcome}), deadline, settled_by=409
    )


def kinds_of(count: int) -> list[str]:
    """What each of ``count`` customers does, every kind in turn."""
    return list(itertools.islice(itertools.cycle(EXPECTED), count))


def agent_accounts(count: int) -> tuple[int, int]:
    """The agent-platform master accounts of a run of ``count`` and the sub-accounts each may hold.

    Together they hold one more than the customers that keep their agent-platform sub-account to the end,
    so the offboarded ones always find a slot in the end, and fewer than the customers reaching the agent
    step once two or more are offboarded (the squeeze). As on the real platform, no account holds more than
    :data:`PLATFORM_LIMIT`: past it, more accounts are configured, as a reseller would."""
    needed = sum(EXPECTED[kind] in HOLDING for kind in kinds_of(count)) + 1
    accounts = -(-needed // PLATFORM_LIMIT)
    return accounts, -(-needed // accounts)


def agent_slots(count: int) -> int:
    """The sub-accounts every agent-platform account of a run of ``count`` may hold together."""
    accounts, limit = agent_accounts(count)
    return accounts * limit


def chaos_overrides(count: int) -> dict[str, str]:
    """Settings that make a chaos run of ``count`` finish in minutes: short polls, grace and step timeouts,
    and the agent platform squeezed to :func:`agent_accounts`."""
    accounts, limit = agent_accounts(count)
    extra = ",".join(f"chaos{n}:sk_test_chaos_agents_{n}" for n in range(2, accounts + 1))
    return {
        "kyc_poll_interval_s": "3",
        # longer than any outage the run causes, so a restart delayed by one still lands in time
        "kyc_rejected_grace_s": "60",
        "step_timeout_s": "10",
        "provider_timeout_s": "3",
        "sandbox_webhook_max_attempts": "6",
        # the platform's limit and ours alike, in each account
        "sandbox_agent_sub_account_limit": str(limit),
        "agents_sub_account_limit": str(limit),
        "agents_accounts": extra,
        # a waiting onboarding whose wake-up was lost to a kill or restart looks again soon
        "agent_capacity_recheck_s": "10",
        # the run starts every customer at once, whatever --count asks for
        "quota_in_flight": "100000",
        "quota_starts_per_minute": "100000",
        # the batch starts a row every 2 s, so the kills and restarts happen while it runs
        "batch_starts_per_second": "0.5",
    }


async def run_chaos(
    data_dir: Path,
    count: int,
    *,
    kills: int = 3,
    server_restarts: int = 1,
    fault_rate: float = 0.2,
    seed: int = 7,
    batch_rows: int = 10,
) -> ChaosReport:
    """Start the stack in ``data_dir``, run ``count`` onboardings and a batch of ``batch_rows`` through the
    chaos, stop the stack."""
    components = Components(data_dir, workers=2, **chaos_overrides(count))
    await asyncio.to_thread(components.start_all)
    try:
        chaos = Chaos(components, count, fault_rate, seed, batch_rows)
        return await chaos.run(kills=kills, server_restarts=server_restarts, timeout_s=240 + 3 * count)
    finally:
        await asyncio.to_thread(components.stop_all)
