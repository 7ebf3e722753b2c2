"""Routing and adjuster choice (自动分派, R-C2): eligibility, exclusions and ranking with explanations."""
