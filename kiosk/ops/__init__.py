"""What an operator runs: ``kioskctl`` and its commands, the updater, the demo launcher, the
simulation, reconciliation and service control.
"""
