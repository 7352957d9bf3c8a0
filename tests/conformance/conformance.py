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

    # Operations the emulator answers from the spec: create, get, update,
    # delete and list through the SDK's own models.
    def queue_cycle():
        routing = gc.RoutingApi(state["client"])
        ids = []
        for name in ("Support", "Sales", "Billing"):
            body = gc.CreateQueueRequest()
            body.name = name
            body.description = f"{name} queue"
            created = routing.post_routing_queues(body)
            assert isinstance(created, gc.Queue), type(created)
            assert created.id and created.name == name, created
            ids.append(created.id)
        read = routing.get_routing_queue(ids[1])
        assert read.name == "Sales" and read.description == "Sales queue", read
        update = gc.QueueRequest()
        update.name = "Sales EU"
        updated = routing.put_routing_queue(ids[1], update)
        assert updated.name == "Sales EU" and updated.id == ids[1], updated
        assert routing.get_routing_queue(ids[1]).name == "Sales EU"
        page = routing.get_routing_queues(page_size=2, page_number=2)
        assert isinstance(page, gc.QueueEntityListing), type(page)
        assert page.total == 3 and page.page_count == 2, page
        assert [q.name for q in page.entities] == ["Billing"], page.entities
        routing.delete_routing_queue(ids[1])
        try:
            routing.get_routing_queue(ids[1])
        except ApiException as e:
            assert e.status == 404 and error_body(e)["code"] == "not.found", e.status
        else:
            raise AssertionError("a deleted queue was still found")
        assert routing.get_routing_queues().total == 2

    def wrapup_code_cycle():
        routing = gc.RoutingApi(state["client"])
        body = gc.WrapupCodeRequest()
        body.name = "Resolved"
        created = routing.post_routing_wrapupcodes(body)
        assert isinstance(created, gc.WrapupCode) and created.name == "Resolved", created
        assert routing.get_routing_wrapupcode(created.id).name == "Resolved"
        body.name = "Resolved remotely"
        updated = routing.put_routing_wrapupcode(created.id, body)
        assert updated.name == "Resolved remotely", updated
        listing = routing.get_routing_wrapupcodes()
        assert [c.name for c in listing.entities] == ["Resolved remotely"], listing.entities
        routing.delete_routing_wrapupcode(created.id)
        assert routing.get_routing_wrapupcodes().total == 0

    def invalid_body_names_the_field():
        body = gc.CreateQueueRequest()
        body.description = "a queue without its required name"
        try:
            gc.RoutingApi(state["client"]).post_routing_queues(body)
        except ApiException as e:
            assert e.status == 400, e.status
            err = error_body(e)
            assert err["code"] == "bad.request", err
            assert err["details"][0]["fieldName"] == "name", err
        else:
            raise AssertionError("a queue without a name was created")

    if "client" in state:
        check("routing queues: create, get, update, list, delete (generic)", queue_cycle)
        check("wrap-up codes: create, get, update, list, delete (generic)", wrapup_code_cycle)
        check("a body without a required field names it", invalid_body_names_the_field)

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
