"""Payment-terminal bridge: Concert (Caisse-AP) protocol, transports, simulator and service."""
