"""Inventory of information systems and their security-level dossiers (ND85/TT12, ND331)."""
