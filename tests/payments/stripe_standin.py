"""A small stand-in for Stripe's API on 127.0.0.1, for the real SDK to talk to.

It answers the calls Kakehashi makes — ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/<id>``,
``POST /v1/checkout/sessions/<id>/expire`` and ``POST /v1/refunds`` — with objects shaped like Stripe's,
honours ``Idempotency-Key`` as Stripe does (the same key with the same parameters returns the first
answer; with different parameters it is a 400 ``idempotency_error``), and records every request
(method, path, headers, form) for assertions. ``fail_next()`` makes the next POST answer with an error.

It also builds what Stripe would later send to the webhook: ``complete()`` marks a session paid and
``event()`` wraps an object in an event envelope; the tests sign it with the SDK's
``WebhookSignature.generate_signature_header``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]

    def params(self) -> dict[str, Any]:
        return unflatten(MultiDict(self.form))


@dataclass
class _Failure:
    status: int
    error: dict[str, Any]


@dataclass
class StripeStandIn:
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    _idempotent: dict[str, tuple[Any, int, bytes]] = field(default_factory=dict)
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    url: str = ""

    # --- serving ---------------------------------------------------------------------------------

    def start(self) -> StripeStandIn:
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    # --- test controls ---------------------------------------------------------------------------

    def fail_next(self, status: int = 402, **error: Any) -> None:
        """The next POST answers ``status`` with ``{"error": error}`` (a card decline by default)."""
        error = error or {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}
        self._failures.append(_Failure(status, error))

    def posts(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    def complete(self, session_id: str, *, payment_status: str = "paid") -> dict[str, Any]:
        """What Stripe does when the customer pays: the session is complete, with a payment intent."""
        with self._lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = payment_status
            session["payment_intent"] = session["payment_intent"] or f"pi_test_{uuid.uuid4().hex[:24]}"
            session["url"] = None
            return json.loads(json.dumps(session))

    @staticmethod
    def event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        return {
            "id": event_id or f"evt_test_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": event_type,
            "data": {"object": obj},
        }

    # --- the API -----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        form = request.form.to_dict(flat=True)
        with self._lock:
            self.requests.append(Recorded(request.method, request.path, dict(request.headers), form))
        if not request.headers.get("Authorization", "").startswith("Bearer sk_"):
            return _error(401, type="invalid_request_error", message="Invalid API Key provided.")
        parts = request.path.strip("/").split("/")
        if request.method == "POST" and self._failures:
            failure = self._failures.pop(0)
            return _json(failure.status, {"error": failure.error})
        if request.method == "POST":
            key = request.headers.get("Idempotency-Key")
            fingerprint = (request.path, sorted(request.form.items(multi=True)))
            with self._lock:
                if key and key in self._idempotent:
                    seen, status, body = self._idempotent[key]
                    if seen != fingerprint:
                        return _error(
                            400,
                            type="idempotency_error",
                            message=(
                                "Keys for idempotent requests can only be used with the same parameters they "
                                f"were first used with. Try using a key other than '{key}' if you meant to "
                                "execute a different request."
                            ),
                        )
                    return Response(body, status=status, content_type="application/json")
                response = self._post(parts, unflatten(request.form))
                if key and response.status_code < 500:
                    self._idempotent[key] = (fingerprint, response.status_code, response.get_data())
                return response
        if request.method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
            with self._lock:
                session = self.sessions.get(parts[3])
            if session is None:
                return _error(404, type="invalid_request_error", message=f"No such checkout.session: '{parts[3]}'")
            return _json(200, session)
        return _error(404, type="invalid_request_error", message=f"Unrecognized request URL ({request.path}).")

    def _post(self, parts: list[str], params: dict[str, Any]) -> Response:
        if parts == ["v1", "checkout", "sessions"]:
            return self._create_session(params)
        if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 5 and parts[4] == "expire":
            session = self.sessions.get(parts[3])
            if session is None:
                return _error(404, type="invalid_request_error", message=f"No such checkout.session: '{parts[3]}'")
            if session["status"] != "open":
                return _error(400, type="invalid_request_error", message="Only open sessions can be expired.")
            session.update(status="expired", url=None)
            return _json(200, session)
        if parts == ["v1", "refunds"]:
            return self._create_refund(params)
        return _error(404, type="invalid_request_error", message="Unrecognized request URL.")

    def _create_session(self, params: dict[str, Any]) -> Response:
        missing = [name for name in ("mode", "line_items", "success_url") if name not in params]
        if missing:
            return _error(400, type="invalid_request_error", message=f"Missing required param: {missing[0]}.")
        items = params["line_items"]
        try:
            amount = sum(int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)) for item in items)
            currencies = {item["price_data"]["currency"] for item in items}
        except (KeyError, TypeError, ValueError):
            return _error(400, type="invalid_request_error", message="Invalid line_items.")
        if len(currencies) != 1 or any(c != c.lower() for c in currencies):
            return _error(400, type="invalid_request_error", message="Invalid currency.")
        session_id = f"cs_test_{next(self._counter):04d}{uuid.uuid4().hex[:20]}"
        now = int(time.time())
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params["mode"],
            "status": "open",
            "payment_status": "unpaid",
            "amount_subtotal": amount,
            "amount_total": amount,
            "currency": currencies.pop(),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "payment_intent": None,
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "created": now,
            "expires_at": int(params.get("expires_at") or now + 24 * 3600),
            "livemode": False,
            "url": f"{self.url}/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return _json(200, session)

    def _create_refund(self, params: dict[str, Any]) -> Response:
        intent = params.get("payment_intent")
        session = next((s for s in self.sessions.values() if intent and s["payment_intent"] == intent), None)
        if session is None:
            return _error(404, type="invalid_request_error", message=f"No such payment_intent: '{intent}'")
        amount = int(params.get("amount") or session["amount_total"])
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent)
        if amount + refunded > session["amount_total"]:
            return _error(
                400, type="invalid_request_error", code="charge_already_refunded", message="Already refunded."
            )
        refund = {
            "id": f"re_test_{uuid.uuid4().hex[:24]}",
            "object": "refund",
            "amount": amount,
            "currency": session["currency"],
            "payment_intent": intent,
            "reason": params.get("reason"),
            "status": "succeeded",
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return _json(200, refund)


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status: int, **error: Any) -> Response:
    return _json(status, {"error": error})


def unflatten(form: MultiDict) -> dict[str, Any]:
    """``line_items[0][price_data][currency]=jpy`` → ``{"line_items": [{"price_data": {"currency": "jpy"}}]}``."""
    root: dict[str, Any] = {}
    for key, value in form.items(multi=True):
        name, _, rest = key.partition("[")
        path = [name] + ([part.rstrip("]") for part in rest.split("[")] if rest else [])
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted
