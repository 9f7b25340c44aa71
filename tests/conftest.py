"""The root of the test tree. Its presence puts ``tests/`` on ``sys.path`` (pytest's ``prepend``
import mode), so modules shared by several test packages live here (``lambda_processes``)."""
