"""Earnings brief: sourced, parameterized notebooks assembled into one HTML and PDF brief."""

__version__ = "0.1.0"
