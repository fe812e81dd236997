"""The shop owner's settings: plain-Python decisions behind the settings screens (no Kivy).

Each module is one idea: ``pin_lock`` (wrong PINs lock the pad with growing delays),
``featured`` (restocking the featured projects), ``today`` (today at a glance),
``opening_hours`` (the low-power idle outside opening hours), ``backlight`` (brightness),
``session`` (who may open the settings, and when they close themselves).
"""
