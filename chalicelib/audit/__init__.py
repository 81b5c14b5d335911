"""The account's audit log: who did what, to which record, from where; written with the change it records."""
