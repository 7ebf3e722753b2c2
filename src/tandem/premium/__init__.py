"""Premium, risk-point effects and refunds (保费计算): the engine of ``docs/premium.md``."""
