"""Typed provider clients: the only code that speaks the providers' HTTP."""
