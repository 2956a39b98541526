"""Prices, invoices and payments."""
