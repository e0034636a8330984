"""Inputs and results of the activities: pure pydantic, safe to import in the workflow sandbox.

Nothing here carries a credential: tokens stay inside the activities and the encrypted vault.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, EmailStr

from domain.onboarding import AgentSpec, KycFlow, OnboardingRequest, OnboardingState
from providers.carrier_models import BusinessType, KycMode


class CreateSubAccount(BaseModel):
    """Create the carrier sub-account named after the onboarding (the name is the lookup key)."""

    onboarding_id: str
    email: EmailStr | None
    kyc_mode: KycMode
    business_type: BusinessType
    #: False only on the workflow's first run (no reset), where a first attempt cannot follow a lost answer
    may_repeat: bool = True


class StartKycSession(BaseModel):
    """Start hosted KYC session number ``attempt`` (1-based) for the sub-account."""

    onboarding_id: str
    sub_account_id: str
    attempt: int
    webhook_url: str
    expires_in_days: int
    flow: KycFlow = "redirect"
    customer_email: EmailStr | None = None
    redirect_url: str | None = None


class KycSessionStarted(BaseModel):
    """A hosted session; ``url`` is the link to hand out (None in the email flow: the provider mails it)."""

    session_id: str
    url: str | None
    expires_at: datetime


class CheckKycSession(BaseModel):
    """Ask the provider how a hosted session stands (the fallback for lost webhooks)."""

    sub_account_id: str
    session_id: str


class PickNumbers(BaseModel):
    """Choose ``count`` numbers of ``country``, skipping ones already tried: first those the onboarding
    claimed in an earlier run (a reset forgets what it bought), then from the inventory."""

    country: str
    count: int
    exclude: list[str]
    onboarding_id: str = ""


class PurchaseNumber(BaseModel):
    """Buy ``number`` from the carrier, assign it to the sub-account and route it to the trunk group."""

    onboarding_id: str
    sub_account_id: str
    number: str
    #: see :attr:`CreateSubAccount.may_repeat`
    may_repeat: bool = True


class TakeAgentSlot(BaseModel):
    """Take an agent-platform sub-account slot for the onboarding (or answer the one it holds)."""

    onboarding_id: str


class AgentSlotTaken(BaseModel):
    """The agent-platform master account (by name) whose slot the onboarding holds."""

    account: str


class CreateAgent(BaseModel):
    """Create the agent-platform sub-account (named after the carrier one) and the agent in it."""

    onboarding_id: str
    sub_account_id: str
    agent: AgentSpec
    #: see :attr:`CreateSubAccount.may_repeat`
    may_repeat: bool = True
    #: the master account whose slot the onboarding holds (None: ``default``, as before several accounts)
    agent_account: str | None = None


class BuyAgentNumbers(BaseModel):
    """Hold ``count`` agent-platform numbers of ``country`` in the sub-account, attached to the agent."""

    agent_sub_account_id: str
    agent_id: str
    country: str
    count: int
    #: see :attr:`CreateAgent.agent_account`
    agent_account: str | None = None


class AgentCreated(BaseModel):
    """Where the agent lives on the agent platform."""

    agent_sub_account_id: str
    agent_id: str


class CleanUp(BaseModel):
    """Undo an onboarding's provider resources; every field may be unknown (looked up by name)."""

    onboarding_id: str
    sub_account_id: str | None = None
    numbers: list[str] = []
    #: offboarding with ``numbers: keep``: carrier numbers are unassigned and kept, not released
    keep_numbers: bool = False
    #: the agent-platform master account the onboarding's slot is in, if the caller knows it (the slot
    #: recorded in the database wins; None and no slot: ``default``)
    agent_account: str | None = None
    #: False: the onboarding never reached its agent step, so nothing of it can be at the agent platform
    #: and no lookup is needed there (True when the caller cannot tell)
    reached_agent_step: bool = True


class NumbersReleased(BaseModel):
    """What releasing the carrier numbers achieved: all gone, or some wait for a cool-off until a time."""

    cool_off_until: datetime | None = None


class MirrorState(BaseModel):
    """Mirror the status document; with the request, so a record exists even without the API."""

    state: OnboardingState
    #: None from the lifecycle workflow, whose record always exists
    request: OnboardingRequest | None = None


class CarrierSwitch(BaseModel):
    """Enable or disable a carrier sub-account (``PUT … {enabled}``)."""

    sub_account_id: str
    enabled: bool


class AgentTarget(BaseModel):
    """The agent-platform side of a customer, found by its name (the carrier sub-account id) in the master
    account it was created in (None: ``default``)."""

    carrier_sub_account_id: str
    agent_account: str | None = None
    #: whose agent slot may have recorded the sub-account's id (None in histories from before ids were)
    onboarding_id: str | None = None
