"""Staff accounts: agents and administrateurs, their roles and second factor."""
