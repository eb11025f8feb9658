"""Extension objects, created unbound; ``create_app`` binds them."""

from flask import current_app, request
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from kakehashi.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
bootstrap = Bootstrap5()


# The app limits only the sign-in forms' POSTs (accounts.views.auth_rate_limit). Without limits for
# every route (RATELIMIT_DEFAULT / RATELIMIT_APPLICATION), a GET, HEAD or OPTIONS request has none to
# check, and skips the limiter's per-request work of finding that out.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@limiter.request_filter
def _no_limit_applies() -> bool:
    config = current_app.config
    return (
        request.method in _SAFE_METHODS
        and not config.get("RATELIMIT_DEFAULT")
        and not config.get("RATELIMIT_APPLICATION")
    )
