"""A local emulator of the provider APIs (carrier and agent platform) with test controls.

Run it with ``python -m sandbox --port 8900``; see :mod:`sandbox.app`. Never imported by the worker.
"""
