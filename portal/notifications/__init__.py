"""E-mail notifications through an outbox table: enqueued with the change, sent by a worker."""
