"""The official Python SDK's create-call loop, driven by genesys-bench.

Usage: python create_calls.py BASE_URL CLIENT_ID CLIENT_SECRET USER_ID

Logs in with client credentials, places a few warm-up calls, prints one
JSON line {"ready": true, ...} and then serves commands from stdin, one per
line:

    run N   place N calls one after another with
            ConversationsApi.post_conversations_calls_user_user_id and print
            {"calls": N, "seconds": ELAPSED, "cpu_seconds": CPU}
            (time.perf_counter, and time.process_time for this
            process's CPU time)
    quit    exit

Only the loop is timed: interpreter start, imports and login are not.
"""

import json
import sys
import time

import PureCloudPlatformClientV2 as gc


def main():
    base, client_id, client_secret, user_id = sys.argv[1:5]
    api_client = gc.api_client.ApiClient(host=base)
    api_client = api_client.get_client_credentials_token(client_id, client_secret)
    conversations = gc.ConversationsApi(api_client)

    def place():
        body = gc.CreateCallRequest()
        body.phone_number = "+15550123"
        created = conversations.post_conversations_calls_user_user_id(user_id, body)
        if not created.id:
            raise RuntimeError(f"no conversation id in {created}")

    for _ in range(20):
        place()
    version = getattr(gc, "__version__", None)
    print(json.dumps({"ready": True, "sdk_version": version}), flush=True)

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "run":
            n = int(words[1])
            cpu_started = time.process_time()
            started = time.perf_counter()
            for _ in range(n):
                place()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            print(json.dumps({"calls": n, "seconds": elapsed, "cpu_seconds": cpu}), flush=True)
        else:
            print(json.dumps({"error": f"unknown command {words[0]!r}"}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
