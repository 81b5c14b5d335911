"""Rate limits: counters per account and window in DynamoDB."""
