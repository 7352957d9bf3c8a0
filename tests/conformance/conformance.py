"""The official Python SDK against the genesys-emulator.

Usage: python conformance.py BASE_URL BANNER_JSON

The SDK derives its login host by replacing "//api." with "//login." in the
API host, so a loopback base URL serves both login and API unchanged.
"""

import json
import sys
import traceback

import PureCloudPlatformClientV2 as gc
from PureCloudPlatformClientV2.rest import ApiException

NOT_A_USER_MESSAGE = (
    "This request requires a user context. "
    "Client credentials cannot be used for requests to this resource."
)

passed = 0
failed = 0


def check(name, fn):
    global passed, failed
    try:
        fn()
    except Exception:  # noqa: BLE001 - report every failure and go on
        failed += 1
        print(f"FAIL {name}")
        traceback.print_exc(limit=3)
    else:
        passed += 1
        print(f"ok   {name}")


def error_body(exc):
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return json.loads(body)


def main():
    base, banner_path = sys.argv[1], sys.argv[2]
    with open(banner_path, encoding="utf-8") as f:
        banner = json.loads(f.readline())
    caller = next(
        c
        for c in banner["clients"]
        if "client_credentials" in c["grants"] and "emulator-caller" in c["roles"]
    )
    user = next(u for u in banner["users"] if u["station"])
    state = {}

    def login():
        api_client = gc.api_client.ApiClient(host=base)
        api_client = api_client.get_client_credentials_token(caller["id"], caller["secret"])
        assert api_client.access_token, "no access token"
        state["client"] = api_client

    def token_info():
        info = gc.TokensApi(state["client"]).get_tokens_me()
        assert info.organization.name == banner["organization"]["name"], info.organization
        assert info.o_auth_client.id == caller["id"], info.o_auth_client

    def on_behalf():
        body = gc.CreateCallRequest()
        body.phone_number = "+15550123"
        created = gc.ConversationsApi(state["client"]).post_conversations_calls_user_user_id(
            user["id"], body
        )
        assert created.id, created
        state["conversation"] = created.id

    def read_back():
        conv = gc.ConversationsApi(state["client"]).get_conversations_call(state["conversation"])
        assert conv.id == state["conversation"], conv.id
        assert len(conv.participants) == 2, conv.participants
        assert conv.participants[0].user.id == user["id"], conv.participants[0].user
        assert conv.participants[0].state in ("dialing", "contacting", "connected")

    def not_a_user():
        body = gc.CreateCallRequest()
        body.phone_number = "+15550123"
        try:
            gc.ConversationsApi(state["client"]).post_conversations_calls(body)
        except ApiException as e:
            assert e.status == 400, e.status
            err = error_body(e)
            assert err["code"] == "not.a.user", err
            assert err["message"] == NOT_A_USER_MESSAGE, err
            headers = {k.lower(): v for k, v in dict(e.headers).items()}
            assert err["contextId"] == headers.get("inin-correlation-id"), headers
        else:
            raise AssertionError("post_conversations_calls succeeded with a client-credentials token")

    def bad_secret():
        try:
            gc.api_client.ApiClient(host=base).get_client_credentials_token(caller["id"], "wrong")
        except ApiException as e:
            assert e.status == 401, e.status
            assert error_body(e)["error"] == "invalid_client"
        else:
            raise AssertionError("login with a wrong secret succeeded")

    check("client-credentials login (get_client_credentials_token)", login)
    if "client" in state:
        check("get_tokens_me", token_info)
        check("post_conversations_calls_user_user_id places a call", on_behalf)
        if "conversation" in state:
            check("get_conversations_call reads it back", read_back)
        check("post_conversations_calls with client credentials fails with not.a.user", not_a_user)
    check("a wrong client secret is invalid_client", bad_secret)

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
