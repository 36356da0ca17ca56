"""Synthetic pathways that drive the domain application the way coordinators would.

Every step is a real command through `domain.application.Brobyg`: it passes or is
refused by the same rules a coordinator meets; nothing is written behind their back.
"""
