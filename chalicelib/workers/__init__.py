"""The top of the package order: the handlers that dispatch queued work to the domains that do it. A domain queues a
job through `chalicelib.jobs` (low: messages, queue, progress records) without importing the code that runs it."""
