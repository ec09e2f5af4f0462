"""scamlens: trustworthy indicators, live signals and risk from anti-fraud outreach."""

__version__ = "0.1.0"

__all__ = ["__version__"]
