"""A demo e-service that signs its users in through Gatehouse by OpenID
Connect, built on authlib (PyPI), a client library nobody here wrote: it
reads the discovery document, sends the browser to authorize with PKCE
(S256), a state and a nonce, exchanges the code, lets authlib check the ID
token's signature against the published keys, its issuer, audience and
nonce, reads userinfo, refreshes its tokens, and signs out through
Gatehouse's end-session endpoint, and takes Gatehouse's back-channel
logout tokens (checked by authlib too).

The end-to-end tests and the demo (scripts/demo.sh) both run it.

Usage: oidc_eservice.py GATEHOUSE_URL PORT CLIENT_ID CLIENT_SECRET
Serves http://127.0.0.1:PORT/ until stopped. /status answers JSON with
what the last sign-in, refresh and logout found, for the tests.
"""
import html
import http.server
import json
import secrets
import sys
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

base, port, client_id, client_secret = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
here = f"http://127.0.0.1:{port}"
redirect_uri = f"{here}/callback"


class Discovery(dict):
    """Gatehouse's discovery document, read at first use (the e-service
    may start before Gatehouse does)."""

    def __missing__(self, key):
        self.update(requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json())
        return dict.__getitem__(self, key)


meta = Discovery()
browsers = {}  # this e-service's own session cookie -> what it knows
status = {}


def session(**kwargs):
    return OAuth2Session(
        client_id,
        client_secret,
        scope="openid profile email roles",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        **kwargs,
    )


def verified_claims(id_token, nonce):
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        id_token,
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "values": [meta["issuer"]]}},
        claims_params={"nonce": nonce, "client_id": client_id},
    )
    claims.validate()
    return dict(claims)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def mine(self):
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "rp" and value in browsers:
                return value, browsers[value]
        sid = secrets.token_urlsafe(16)
        browsers[sid] = {}
        return sid, browsers[sid]

    def answer(self, code, body, sid=None, location=None, content_type="text/html; charset=utf-8"):
        self.send_response(code)
        if sid:
            self.send_header("Set-Cookie", f"rp={sid}; Path=/; HttpOnly; SameSite=Lax")
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(body.encode())

    def page(self, sid, inner):
        self.answer(200, f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>OIDC e-Service</title>"
            f"<link rel=\"icon\" href=\"data:,\"></head><body><h1>OIDC e-Service</h1>{inner}</body></html>", sid)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        sid, mine = self.mine()
        try:
            if url.path == "/status":
                return self.answer(200, json.dumps(status), content_type="application/json")
            if url.path == "/":
                claims = mine.get("claims")
                if not claims:
                    return self.page(sid, '<p><a id="sign-in" href="/login">Sign in with Gatehouse</a></p>')
                return self.page(
                    sid,
                    f'<p id="user">{html.escape(mine["userinfo"]["preferred_username"])}</p>'
                    f'<p id="name">{html.escape(claims["name"])}</p>'
                    f'<p id="email">{html.escape(mine["userinfo"]["email"])}</p>'
                    '<p><a id="refresh" href="/refresh">Refresh</a> <a id="sign-out" href="/logout">Sign out</a></p>',
                )
            if url.path == "/login":
                verifier, nonce = generate_token(48), generate_token(20)
                uri, state = session().create_authorization_url(
                    meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
                )
                mine.update(state=state, verifier=verifier, nonce=nonce)
                return self.answer(302, "", sid, location=uri)
            if url.path == "/callback":
                if "error" in query:
                    status["error"] = query["error"]
                    return self.page(sid, f'<p id="error">{html.escape(query["error"])}</p>')
                client = session(state=mine.get("state"))
                token = client.fetch_token(
                    meta["token_endpoint"],
                    authorization_response=f"{here}{self.path}",
                    code_verifier=mine["verifier"],
                )
                claims = verified_claims(token["id_token"], mine["nonce"])
                userinfo = client.get(meta["userinfo_endpoint"]).json()
                mine.update(token=token, claims=claims, userinfo=userinfo)
                status["signed_in"] = {"claims": claims, "userinfo": userinfo}
                return self.answer(302, "", sid, location="/")
            if url.path == "/refresh":
                client = session(token=mine["token"])
                fresh = client.refresh_token(meta["token_endpoint"], refresh_token=mine["token"]["refresh_token"])
                rotated = fresh["refresh_token"] != mine["token"]["refresh_token"]
                mine["token"] = fresh
                userinfo = session(token=fresh).get(meta["userinfo_endpoint"]).json()
                status["refreshed"] = {"rotated": rotated, "userinfo": userinfo}
                return self.page(sid, f'<p id="refreshed">{html.escape(userinfo["preferred_username"])}</p>')
            if url.path == "/logout":
                target = meta["end_session_endpoint"] + "?" + urlencode(
                    {
                        "id_token_hint": mine["token"]["id_token"],
                        "post_logout_redirect_uri": f"{here}/bye",
                        "state": "bye-state",
                    }
                )
                refresh_token = mine["token"].get("refresh_token")
                browsers.pop(sid, None)
                status["pending_refresh"] = refresh_token
                return self.answer(302, "", location=target)
            if url.path == "/bye":
                # The grant ended with the sign-in: the old refresh token is refused.
                old = status.pop("pending_refresh", None)
                refused = None
                if old:
                    try:
                        session().refresh_token(meta["token_endpoint"], refresh_token=old)
                        refused = False
                    except Exception as e:  # authlib raises the OAuth error
                        refused = getattr(e, "error", str(e))
                status["signed_out"] = {"state": query.get("state"), "refresh_refused": refused}
                return self.page(sid, '<p id="bye">Signed out</p>')
            self.answer(404, "not found")
        except Exception as e:  # shown to the test, which fails on it
            status["failure"] = f"{type(e).__name__}: {e}"
            self.answer(500, f'<p id="failure">{html.escape(status["failure"])}</p>')


    def do_POST(self):
        """Back-channel logout: Gatehouse says a user's session ended."""
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlparse(self.path).path != "/backchannel" or "logout_token" not in form:
            return self.answer(400, "bad request")
        try:
            keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
            claims = jwt.decode(
                form["logout_token"],
                keys,
                claims_options={
                    "iss": {"essential": True, "values": [meta["issuer"]]},
                    "aud": {"essential": True, "values": [client_id]},
                    "iat": {"essential": True},
                    "events": {"essential": True},
                },
            )
            claims.validate()
            if "nonce" in claims or "http://schemas.openid.net/event/backchannel-logout" not in claims["events"]:
                raise ValueError("not a logout token")
            # Every session of that user here ends.
            for sid, known in list(browsers.items()):
                if known.get("claims", {}).get("sub") == claims["sub"]:
                    browsers.pop(sid, None)
            status["backchannel"] = dict(claims)
            self.answer(200, "", content_type="text/plain")
        except Exception as e:
            status["backchannel_failure"] = f"{type(e).__name__}: {e}"
            self.answer(400, "invalid logout token", content_type="text/plain")


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
