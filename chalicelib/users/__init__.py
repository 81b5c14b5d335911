"""The account's team: its staff users (invited, active, disabled), their roles, and what members may do."""
