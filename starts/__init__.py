"""Starting onboardings: the one way a new onboarding is claimed and its workflow started, shared by the
API's single start and the rows of a batch."""
