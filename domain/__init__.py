"""The domain models api/, store/, activities/ and workflows/ share: requests, the onboarding's status
document, lifecycle and batch models, callbacks and search attributes. Pure pydantic, no I/O, and no
import from the packages above it, so every layer (and the workflow sandbox) can import them."""
