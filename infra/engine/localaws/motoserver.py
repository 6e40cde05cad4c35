"""Runs moto's server like `moto_server`, with DynamoDB requests serialised and three hot spots removed.

moto's server handles requests on threads, and its DynamoDB backend checks a condition and writes in
separate steps without a lock, so two concurrent conditional writes (or transactions) can both pass:
a lost update that DynamoDB itself never allows. Orion's invariants (no oversell, optimistic locking)
are tested against this emulator, so DynamoDB calls are made atomic here; other services keep their
concurrency (SQS long polls must not block everything).

moto's TransactWriteItems deep-copies every table it touches before writing, to roll back on failure.
That costs time in proportion to everything the tables hold (an outbox grows with every event), so a
local run slowed down as it went (docs/adr/0011-tests-against-an-emulator.md has the figures). Since
DynamoDB requests are serialised here, the same all-or-nothing result is had by checking every
condition first and writing only when all pass (the items of one transaction are distinct, so each
condition sees exactly the state it would have seen).
"""
import argparse
import ipaddress
import signal
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


class SerialiseDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self.lock:
            # Consume the whole response under the lock: the write happens while it is produced.
            return list(self.app(environ, start_response))


class Profile:
    """ORION_MOTO_PROFILE=<file>: CPU profile of every request (cProfile, thread CPU time), written as
    pstats to <file> when the server stops. For measuring where the emulator's time goes (ADR 0019);
    off by default, it roughly doubles the cost of a request."""

    def __init__(self, app, path):
        import atexit
        import cProfile
        import queue
        import time
        self.app, self.path = app, path
        self.pool, self.all, self.mu = queue.SimpleQueue(), [], threading.Lock()
        self.new = lambda: cProfile.Profile(timer=time.thread_time)
        atexit.register(self.dump)

    def __call__(self, environ, start_response):
        try:
            prof = self.pool.get_nowait()
        except Exception:
            prof = self.new()
            with self.mu:
                self.all.append(prof)
        prof.enable()
        try:
            return list(self.app(environ, start_response))
        finally:
            prof.disable()
            self.pool.put(prof)

    def dump(self):
        import pstats
        with self.mu:
            profs = list(self.all)
        if profs:
            stats = pstats.Stats(profs[0])
            for p in profs[1:]:
                stats.add(p)
            stats.dump_stats(self.path)


class RefuseBrowsers:
    """Keeps moto for the processes of this machine, as Go's loopback.Guard keeps the edge: a web page
    can make the browser post here (it adds an Origin) or reach 127.0.0.1 by DNS rebinding (its own name
    arrives as Host). The SDK sends neither. Any port is taken: the edge forwards its own Host. moto's
    CORS headers are dropped."""

    def __init__(self, app):
        self.app = app

    @staticmethod
    def loopback(host):
        if host.startswith("["):
            host = host[1:].split("]", 1)[0]
        elif host.count(":") == 1:
            host = host.split(":", 1)[0]
        host = host.lower().rstrip(".")
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def __call__(self, environ, start_response):
        site = environ.get("HTTP_SEC_FETCH_SITE", "none")
        if environ.get("HTTP_ORIGIN") or site != "none":
            status, reason = "403 Forbidden", "cross-origin request: this endpoint is for local processes, not web pages"
        elif not self.loopback(environ.get("HTTP_HOST", "")):
            status, reason = "421 Misdirected Request", "Host is not localhost, 127.0.0.1 or [::1]"
        else:
            # moto answers every request with Access-Control-Allow-Origin: *; no web page may read it.
            def without_cors(status, headers, exc_info=None):
                headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
                return start_response(status, headers, exc_info)
            return self.app(environ, without_cors)
        body = ("orion-local: refused: " + reason + "\n").encode()
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]


def transact_write_items(self, transact_items):
    """DynamoDB TransactWriteItems: all conditions are checked before anything is written."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen = set()
    errors, writes = [], []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        original = None
        try:
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            if op_type == "Put":
                table = self.get_table(table_name)
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            unique = (str(table_name), str(dict(sorted(key.items()))))
            if unique in seen:
                raise MultipleTransactionsException()
            seen.add(unique)
            current = self.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                check = get_filter_expression(condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues"))
                if not check.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original)
            if op_type == "Update":
                try:
                    validate_update(self.get_table(table_name), key, current, op)
                except MockValidationException as e:
                    errors.append(("ValidationError", str(e.message), None))
                    continue
            errors.append((None, None, None))
            writes.append((op_type, op, table_name, key))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original))
        except Exception as e:  # noqa: BLE001 - reported per item, as DynamoDB does
            errors.append((type(e).__name__, str(e), original))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    for op_type, op, table_name, key in writes:
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        if op_type == "Put":
            self.put_item(table_name, op["Item"])
        elif op_type == "Delete":
            self.delete_item(table_name, key)
        elif op_type == "Update":
            self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                             expression_attribute_names=names, expression_attribute_values=values)


def validate_update(table, key, current, op):
    """Raises moto's ValidationException if op's UpdateExpression cannot be applied to the item (an
    attribute it reads is missing, a type does not match), without touching the item: writing starts only
    once every item of the transaction is known to apply, so a cancelled transaction writes nothing
    (docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html: ValidationError)."""
    import copy
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    if current is not None:
        item = copy.deepcopy(current)
    else:
        rng = key.get(table.range_key_attr) if table.range_key_attr else None
        item = Item(DynamoType(key[table.hash_key_attr]), DynamoType(rng) if rng else None, attrs={})
    UpdateExpressionValidator(UpdateExpressionParser.make(op["UpdateExpression"]),
                              expression_attribute_names=op.get("ExpressionAttributeNames"),
                              expression_attribute_values=op.get("ExpressionAttributeValues"),
                              item=item, table=table).validate()


def patch_cognito():
    """Brings moto's Cognito closer to AWS where Orion's account endpoints depend on it.

    - TOTP codes are checked (moto skips the check unless told): a wrong code is CodeMismatchException,
      as on AWS. moto's AssociateSoftwareToken returns one fixed secret; codes computed from the secret
      it returns are right, so a client behaves as against AWS.
    - RevokeToken (moto 5.2.1 lacks it) revokes the refresh token and the access tokens issued from it
      for Cognito's own APIs (docs.aws.amazon.com/cognito/latest/developerguide/token-revocation.html);
      a token that is not valid answers success, as RFC 7009 revocation does.
    - Changing a user's email without setting email_verified marks the address unverified, as Cognito
      does in a pool without AttributesRequireVerificationBeforeUpdate (the local stacks auto-confirm
      users, so theirs has none): moto keeps the old flag, which would let order mail reach an address
      nobody verified.
    - RespondToAuthChallenge with a session that does not exist (expired, used, forged) is
      NotAuthorizedException ("Invalid session for the user"), as on AWS; moto answers
      ResourceNotFoundException, which on AWS means a missing client or pool.
    - UpdateUserAttributes (the user's own access token) may write only the attributes of its app
      client's WriteAttributes, NotAuthorizedException otherwise ("A client attempted to write
      unauthorized attribute"), as on AWS; moto writes any.
    - VerifyUserAttribute (lacking): no verification code is ever sent locally (AutoConfirmUsers stacks
      send none), so every code is a mismatch, CodeMismatchException as on AWS for a wrong code.
    - A client with a secret needs SECRET_HASH in every InitiateAuth and RespondToAuthChallenge, and its
      secret in RevokeToken, as on AWS (docs.aws.amazon.com/cognito/latest/developerguide/
      signing-up-users-in-your-app.html#cognito-user-pools-computing-secret-hash; API_RevokeToken.html,
      ClientSecret): moto 5.2.1 checks it for USER_SRP_AUTH, refresh and the MFA challenges but not for
      USER_PASSWORD_AUTH, so a caller that forgot it (Orion's sign-in client has a secret so that nobody
      signs in around its login, docs/adr/0017) would pass here and fail on AWS. A refresh's SECRET_HASH
      names the user by their username in the pool (the sub where email is the username attribute,
      the tokens' username claim), not by the address they signed in with, which moto checks instead.
    """
    import base64
    import hashlib
    import hmac
    import json
    import os
    os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    from moto.core.responses import EmptyResult
    from moto.cognitoidp import models, responses
    from moto.cognitoidp.exceptions import CodeMismatchException, NotAuthorizedError

    def pools():
        for account in models.cognitoidp_backends.values():
            for region, backend in account.items():
                if region != "global":
                    yield from backend.user_pools.values()

    def claims(token):
        try:
            part = token.split(".")[1]
            return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except Exception:
            return {}

    def revoke_token(self):
        token, client_id = self._get_param("Token"), self._get_param("ClientId")
        for pool in pools():
            entry = pool.refresh_tokens.get(token)
            if client_id in pool.clients and entry and entry[0] == client_id:
                pool.refresh_tokens[token] = None  # what moto's own sign-out leaves: "has been revoked"
                for access in [a for a in pool.access_tokens if claims(a).get("origin_jti") == entry[2]]:
                    del pool.access_tokens[access]
        return EmptyResult()

    def verify_user_attribute(self):
        token = self._get_param("AccessToken")
        if not any(token in pool.access_tokens for pool in pools()):
            raise NotAuthorizedError("Invalid Access Token")
        raise CodeMismatchException("Invalid verification code provided, please try again.")

    def revoke_with_secret(self):
        client_id, secret = self._get_param("ClientId"), self._get_param("ClientSecret")
        for pool in pools():
            client = pool.clients.get(client_id)
            if client is not None and client.generate_secret and secret != client.secret:
                raise NotAuthorizedError("Client secret is wrong or missing for client " + client_id)
        return revoke_token(self)

    responses.CognitoIdpResponse.revoke_token = revoke_with_secret
    responses.CognitoIdpResponse.verify_user_attribute = verify_user_attribute

    def unverify_changed_email(update):
        def wrapped(self, new_attributes):
            names = {a["Name"] for a in new_attributes}
            changed = "email" in names and any(
                a["Name"] == "email" and a["Value"] != self.attribute_lookup.get("email") for a in new_attributes)
            update(self, new_attributes)
            if changed and "email_verified" not in names:
                update(self, [{"Name": "email_verified", "Value": "false"}])
        return wrapped

    models.CognitoIdpUser.update_attributes = unverify_changed_email(models.CognitoIdpUser.update_attributes)

    respond = models.CognitoIdpBackend.respond_to_auth_challenge

    def respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses):
        if challenge_name != "PASSWORD_VERIFIER" and session not in self.sessions:
            raise NotAuthorizedError("Invalid session for the user, session is expired.")
        return respond(self, session, client_id, challenge_name, challenge_responses)

    models.CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge

    from moto.cognitoidp.utils import check_secret_hash
    initiate = models.CognitoIdpBackend.initiate_auth

    def initiate_auth(self, client_id, auth_flow, auth_parameters):
        params = dict(auth_parameters or {})
        for pool in self.user_pools.values():
            client = pool.clients.get(client_id)
            if client is None or not client.generate_secret:
                continue
            if auth_flow == "USER_PASSWORD_AUTH":
                if not check_secret_hash(client.secret, client.id, params.get("USERNAME", ""), params.get("SECRET_HASH")):
                    raise NotAuthorizedError("Unable to verify secret hash for client " + client_id)
            elif auth_flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
                entry = pool.refresh_tokens.get(params.get("REFRESH_TOKEN"))
                if entry:
                    signed_in_as = entry[1]
                    user = pool._get_user(signed_in_as)
                    if user is None or not check_secret_hash(client.secret, client.id, user.username, params.get("SECRET_HASH")):
                        raise NotAuthorizedError("Unable to verify secret hash for client " + client_id)
                    # moto checks the name the user signed in with: give it the hash it expects.
                    params["SECRET_HASH"] = base64.b64encode(hmac.new(client.secret.encode(), (signed_in_as + client.id).encode(), hashlib.sha256).digest()).decode()
        return initiate(self, client_id, auth_flow, params)

    models.CognitoIdpBackend.initiate_auth = initiate_auth

    update_user_attributes = models.CognitoIdpBackend.update_user_attributes

    def update_own_attributes(self, access_token, attributes):
        for pool in self.user_pools.values():
            if access_token in pool.access_tokens:
                client = pool.clients.get(pool.access_tokens[access_token][0])
                writable = client.extended_config.get("WriteAttributes") if client else None
                if writable and any(a["Name"] not in writable for a in attributes):
                    raise NotAuthorizedError("A client attempted to write unauthorized attribute")
        return update_user_attributes(self, access_token, attributes)

    models.CognitoIdpBackend.update_user_attributes = update_own_attributes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    import os
    os.environ.setdefault("MOTO_PORT", str(args.port))
    from moto.dynamodb.models import DynamoDBBackend
    DynamoDBBackend.transact_write_items = transact_write_items
    patch_cognito()
    # moto finds the backend of every request by listing its own package directory (os.listdir and a
    # stat per entry), half of its time under load (cProfile; ADR 0011). The list never changes.
    from moto import backends
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    # moto delivers an event to each target of a matching rule (the bus's archive, an SQS queue) through
    # EventTemplateParser, which parses eight JSONPath expressions per event with jsonpath_ng, whose
    # parser builds its LALR tables on every call, which capped the local bus at a few events a second
    # (cProfile; docs/adr/0011-tests-against-an-emulator.md). The expressions are few and a parsed one
    # is immutable, so each is parsed once.
    import functools
    import jsonpath_ng.ext
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    served = SerialiseDynamoDB(app)
    if os.environ.get("ORION_MOTO_PROFILE"):
        served = Profile(served, os.environ["ORION_MOTO_PROFILE"])
    run_simple(args.host, args.port, RefuseBrowsers(served), threaded=True)


if __name__ == "__main__":
    main()
