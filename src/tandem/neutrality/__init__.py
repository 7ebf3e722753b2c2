"""Neutrality (相对中立原则, R-C7): bias analytics over settled cases (``bias``)."""
