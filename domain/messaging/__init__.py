"""Messages between families and services, and the news."""
