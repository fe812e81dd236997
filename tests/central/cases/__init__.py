"""Django test cases run by Django's own test runner (``central test``) in a process of its
own, with the test settings and one database backend: see test_django_cases.py. They are
not collected by pytest (no test_ prefix): Django's settings are process-wide."""
