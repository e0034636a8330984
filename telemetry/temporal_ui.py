"""Links into the Temporal UI for operators: an onboarding's workflow page, and the workflow list filtered
to onboardings (the view ``onboard dev`` prints and docs/operations.md saves)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from config import Settings
from domain.lifecycle import customer_workflow_id
from domain.onboarding import WORKFLOW_NAME, OnboardingDocument, OnboardingLinks, OnboardingState

#: The visibility query of the onboardings view: every run of the onboarding workflow.
ONBOARDINGS_QUERY = f'WorkflowType="{WORKFLOW_NAME}"'
#: The custom search attributes worth a column in that view (the UI keeps columns per browser).
VIEW_COLUMNS = ("OnboardingStatus", "KycStatus")


def _namespace_url(base: str, namespace: str) -> str:
    return f"{base}/namespaces/{quote(namespace, safe='')}"


def workflow_url(base: str, namespace: str, workflow_id: str) -> str:
    """The page of ``workflow_id`` (the UI opens its latest run) in the UI at ``base``."""
    return f"{_namespace_url(base, namespace)}/workflows/{quote(workflow_id, safe='')}"


def onboardings_url(base: str, namespace: str) -> str:
    """The workflow list of the UI at ``base`` filtered by :data:`ONBOARDINGS_QUERY`."""
    query = urlencode({"query": ONBOARDINGS_QUERY}, quote_via=quote)
    return f"{_namespace_url(base, namespace)}/workflows?{query}"


@dataclass(frozen=True)
class UiLinks:
    """Adds the Temporal UI link to status documents; ``base`` None: no UI is known, the link is null."""

    base: str | None
    namespace: str = "default"

    @classmethod
    def from_settings(cls, settings: Settings) -> UiLinks:
        """Links to the UI operators reach (``ONBOARD_TEMPORAL_UI_URL``), in the configured namespace."""
        return cls(settings.temporal_ui, settings.temporal_namespace)

    def workflow(self, workflow_id: str) -> str | None:
        """The page of ``workflow_id``, or None when no UI is known."""
        return None if self.base is None else workflow_url(self.base, self.namespace, workflow_id)

    def document(self, state: OnboardingState) -> OnboardingDocument:
        """``state`` as served: with its link."""
        links = OnboardingLinks(
            temporal_ui=self.workflow(state.id),
            customer_temporal_ui=None
            if state.lifecycle is None
            else self.workflow(customer_workflow_id(state.id)),
        )
        # ``state`` is valid already: validating it again cost more than the rest of a read
        return OnboardingDocument.model_construct(**dict(state), links=links)
