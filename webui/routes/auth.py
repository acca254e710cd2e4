"""Log in, log out, the account page (change one's own password)."""
from __future__ import annotations

import logging

from bottle import request, response

from webui.access import AccessPlugin, WebUi
from webui.auth import LOGIN_NONCE_COOKIE, SESSION_COOKIE
from webui.handlers import args, me
from webui.pages import home_for, page, redirect
from webui.params import p_text
from webui.routing import LOGGED_IN, PUBLIC, Router

log = logging.getLogger("callbox.web")
TAG = "auth"


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    def next_page(value: str | None) -> str | None:
        """Where to go after the login: a local path only (never another site)."""
        if value and value.startswith("/") and not value.startswith(("//", "/\\")) \
                and value not in ("/login", "/logout") and len(value) <= 200:
            return value
        return None

    def login_form(error: str = "", username: str = "", status: int = 200,
                   after: str | None = None) -> str:
        nonce = request.get_cookie(LOGIN_NONCE_COOKIE)
        if not nonce or len(nonce) > 64:
            nonce = ui.signer.new_login_nonce()
            ui.set_cookie(LOGIN_NONCE_COOKIE, nonce)
        response.status = status
        return page("login", "Log in", csrf=ui.signer.login_csrf(nonce), error=error,
                    username=username, after=after or "")

    @r.get("/login", permission=PUBLIC, query={"next": p_text(200)}, summary="The login form")
    def login_get() -> str:
        p = ui.resolve()
        after = next_page(args().get("next"))
        if p is not None:
            redirect(after or home_for(p))
        return login_form(after=after)

    @r.post("/login", permission=PUBLIC, summary="Log in (form post)", kind="form",
            max_body=4096)
    def login_post() -> str:
        after = next_page(request.forms.getunicode("next"))
        username = (request.forms.getunicode("username") or "").strip()[:64]
        password = (request.forms.getunicode("password") or "")[:256]
        ip = request.environ.get("REMOTE_ADDR", "")
        wait = ui.throttle.retry_after(ip, username)
        if wait > 0:
            response.set_header("Retry-After", str(int(wait) + 1))
            return login_form(f"Too many failed attempts. Try again in {int(wait) + 1} s.",
                              username, 429, after)
        user = api.login(username, password) if username and password else None
        if user is None:
            n = ui.throttle.failure(ip, username)
            log.warning("web login failed user=%r src=%s failures=%d", username, ip, n)
            api.publish("web.login_failed", user=username, src=ip, failures=n)
            if ui.throttle.locked(username):
                api.publish("web.login_locked", user=username, src=ip)
            return login_form("Wrong user name or password.", username, 200, after)
        ui.throttle.success(ip, username)
        old = ui.signer.unsign(request.get_cookie(SESSION_COOKIE))
        if old:
            api.close_session(old)               # a login always starts a new session
        token, _ = api.open_session(user["username"])
        ui.set_cookie(SESSION_COOKIE, ui.signer.sign(token))
        response.delete_cookie(LOGIN_NONCE_COOKIE, path="/")
        log.info("web login user=%r role=%s src=%s", user["username"], user["role"], ip)
        p = api.web_session(token)
        request.environ["callbox.principal"] = p["principal"] if p else None
        redirect(after or (home_for(p["principal"]) if p else "/"))

    @r.post("/logout", permission=LOGGED_IN, summary="Log out (form post)", kind="form",
            max_body=4096)
    def logout() -> None:
        token = request.environ.get("callbox.token")
        if token:
            api.close_session(token)
        response.delete_cookie(SESSION_COOKIE, path="/")
        redirect("/login")

    @r.get("/account", permission=LOGGED_IN, summary="Who am I, change my password")
    def account() -> str:
        return page("account", "Account", message="", error="")

    @r.post("/account/password", permission=LOGGED_IN, summary="Change my password",
            kind="form", max_body=4096)
    def account_password() -> str:
        p = me()
        old = request.forms.getunicode("current") or ""
        new = request.forms.getunicode("new") or ""
        if new != (request.forms.getunicode("repeat") or ""):
            response.status = 400
            return page("account", "Account", message="", error="The two new passwords differ.")
        if len(new) < 10:
            response.status = 400
            return page("account", "Account", message="",
                        error="Choose a password of at least 10 characters.")
        if api.login(p.user, old) is None:
            response.status = 400
            return page("account", "Account", message="", error="The current password is wrong.")
        api.change_password(p, old, new)         # ends every session of the user
        response.delete_cookie(SESSION_COOKIE, path="/")
        redirect("/login")

