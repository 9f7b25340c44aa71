"""The ASGI server: the one place where wire and services meet."""
