"""Activities: the onboarding's side effects (provider calls, database records)."""
