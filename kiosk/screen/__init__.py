"""The touchscreen process: the donor flow and health (plain Python) and the Kivy app in
``kiosk.screen.ui``, the only package that imports Kivy.
"""
