"""Status callbacks to resellers: signed (Standard Webhooks) POSTs of the status document."""
