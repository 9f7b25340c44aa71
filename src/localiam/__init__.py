"""localiam: AWS identity and access, running on your machine."""

__version__ = "0.1.0"
