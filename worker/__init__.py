"""The worker process: Temporal client, data converter, registration."""
