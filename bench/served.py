"""The portal as ``bench/http.py`` serves it (not used by the portal itself):
``create_app()`` from the environment, as ``gunicorn 'app:create_app()'`` does, with
each answer telling in ``X-Bench-Queries`` how many SQL statements its request ran.

    gunicorn 'bench.served:app'
"""
import models
from app import create_app

app_itself = create_app()
_count = [0]
_database = models.db.obj
_execute_sql = _database.execute_sql


def _counting(sql, params=None, *args, **kwargs):
    _count[0] += 1
    return _execute_sql(sql, params, *args, **kwargs)


_database.execute_sql = _counting


def app(environ, start_response):
    """The app, with the statement count of the request in a header of its answer."""
    _count[0] = 0

    def counted_start_response(status, headers, exc_info=None):
        return start_response(status, headers + [("X-Bench-Queries", str(_count[0]))],
                              exc_info)
    return app_itself(environ, counted_start_response)
