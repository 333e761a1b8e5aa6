"""gunicorn settings for `make serve`: threaded workers, app preloaded once, a fresh database pool per worker."""
import os
import sys

if not os.environ.get("SECRET_KEY"):
    sys.exit("SECRET_KEY is not set: export a long random value before starting the server.")
os.environ.setdefault("RECOVERYSTAT_ENV", "production")

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True
timeout = 60
accesslog = "-"
# gunicorn 27 opens a control socket at one path per user by default, so two instances of the app (a second site, a
# benchmark beside the live server) would delete each other's. Nothing here uses it: keep it off.
control_socket_disable = True


def post_fork(server, worker):
    """Give each worker its own connections: pooled connections must not cross a fork."""
    application = sys.modules.get("app")  # absent when this configuration serves another app (`make bench`)
    if application is None or not hasattr(application, "server"):
        return
    from extensions import EXTENSION_KEY

    application.server.extensions[EXTENSION_KEY].engine.dispose(close=False)


def when_ready(server):
    """After the app is preloaded, hide its long-lived objects from the garbage collector.

    Full collections then walk only what requests allocate (measured in `make bench`: they otherwise add tens of
    milliseconds to one request in several), and forked workers share the preloaded pages copy-on-write.
    """
    import gc

    gc.collect()
    gc.freeze()
