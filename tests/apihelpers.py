"""Helpers for the JSON API tests: personal tokens made through the service, clients that send them."""

from __future__ import annotations

import datetime as dt

import scenario

from app.accounts import tokens
from app.extensions import db


def make_token(key: str, scope: str = "write", *, lifetime_days: int = 30, now: dt.datetime | None = None) -> str:
    """A new token of the test user ``key`` (inside an app context; committed); returns its text."""
    _token, text = tokens.create_token(scenario.user(key), name=f"{key} {scope}", scope=scope,
                                       lifetime_days=lifetime_days, now=now)
    db.session.commit()
    return text


def bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}"}
