"""socctl: security-operations toolkit for Hai Phong's city SOC."""

__version__ = "0.1.0"
