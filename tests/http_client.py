"""A resident's browser, minus the browser: log in and post forms over HTTP.

Used by the tests that fire many real requests at a live server at once.
"""

import re

import requests

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


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
        return self.session.post(
            self.base_url + path,
            data={**data, "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        )
