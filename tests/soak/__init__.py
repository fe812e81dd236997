"""The crash-and-fault soak of the kiosk side (``./dev soak``); a short run is in the suite."""
