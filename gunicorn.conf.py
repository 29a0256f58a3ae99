"""How `make run` serves Preceptor (gunicorn -c gunicorn.conf.py "app:create_app()").

One worker process with threads: the default rate-limit store (memory://) lives in a
process, so with one process every limit the README states holds exactly. To run
several worker processes or hosts, set RATELIMIT_STORAGE_URI=redis://... so that they
share one count, and raise `workers` (or pass --workers).
"""

import re

from gunicorn.glogging import Logger

bind = "127.0.0.1:8000"
workers = 1
threads = 8
accesslog = "-"
graceful_timeout = 5
control_socket_disable = True  # gunicorn 27's control socket is one per user, not per server

# Reset and invitation links carry a secret in their path: the access log shows ***.
SECRET_PATH = re.compile(r"(/auth/(?:reset|accept)/)[^/\s?]+")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U"):
            if isinstance(atoms.get(name), str):
                atoms[name] = SECRET_PATH.sub(r"\1***", atoms[name])
        return atoms


logger_class = RedactingLogger
