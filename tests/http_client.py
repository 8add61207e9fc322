"""A resident's browser, minus the browser: log in and post forms over HTTP.

Used by the tests that fire many real requests at a live server at once.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

_TOKEN = re.compile(r'(?:name="csrf_token"|id="csrf-token") value="([^"]+)"')


class Visitor:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()

    def token(self, path: str = "/login") -> str:
        page = self.session.get(self.base_url + path, timeout=30)
        return _TOKEN.search(page.text).group(1)

    def login(self, mobile: str, password: str) -> requests.Response:
        data = {"mobile": mobile, "password": password, "csrf_token": self.token()}
        response = self.session.post(
            self.base_url + "/login", data=data, allow_redirects=False, timeout=30
        )
        assert response.status_code == 303, f"login failed for {mobile}: {response.status_code}"
        return response

    def post(self, path: str, data: dict, token: str) -> requests.Response:
        # A kept-alive connection may have been closed by the server while this
        # visitor waited (gunicorn keeps idle connections for 2 s); a POST is
        # not retried, so start from a fresh connection.
        self.session.close()
        return self.session.post(
            self.base_url + path,
            data={**data, "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        )


def log_in_all(base_url: str, mobiles: list[str], password: str, token_path: str):
    """A logged-in visitor per number, each with a CSRF token from ``token_path``."""

    def login(mobile):
        visitor = Visitor(base_url)
        visitor.login(mobile, password)
        return visitor, visitor.token(token_path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(login, mobiles))


def fire_together(calls):
    """Run every call at the same moment (a barrier), return the results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
