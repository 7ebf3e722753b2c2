"""Placements (投保项目): the programme being placed for an insured, before a policy is bought (R-U1..R-U4)."""
