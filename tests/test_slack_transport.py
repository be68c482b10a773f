"""The Slack Web API client keeps its connections open between calls, and copes when they break.

Against the fake Slack over real HTTP: which TCP connection each call came on is recorded by the fake.
"""

from __future__ import annotations

import copy
import gc
import threading
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import slack_transport
from bot.slack_client import make_web_client
from tests.conftest import make_settings
from tests.fake_slack import FakeSlack, Reply
from tests.waiting import eventually


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    slack_transport.close_thread_connections()  # nothing kept from an earlier test of this thread
    return make_web_client(make_settings(slack_api_url=fake_slack.api_url))


def test_calls_from_one_thread_share_one_connection(client: WebClient, fake_slack: FakeSlack) -> None:
    answers = [client.chat_postMessage(channel="C1", text=f"post {number}") for number in range(5)]

    calls = fake_slack.calls_to("chat.postMessage")
    assert [call.params["text"] for call in calls] == [f"post {number}" for number in range(5)]
    assert len({call.connection for call in calls}) == 1
    assert len({answer["ts"] for answer in answers}) == 5  # each call read its own answer


def test_each_thread_has_its_own_connection(client: WebClient, fake_slack: FakeSlack) -> None:
    def post_twice(name: str) -> None:
        client.chat_postMessage(channel="C1", text=f"{name} 1")
        client.chat_postMessage(channel="C1", text=f"{name} 2")

    threads = [threading.Thread(target=post_twice, args=(f"t{number}",)) for number in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    by_thread: dict[str, set[int]] = {}
    for call in fake_slack.calls_to("chat.postMessage"):
        by_thread.setdefault(call.params["text"].split()[0], set()).add(call.connection)
    assert sorted(by_thread) == ["t0", "t1", "t2"]
    assert all(len(connections) == 1 for connections in by_thread.values())
    assert len(set().union(*by_thread.values())) == 3


def test_a_connection_the_server_closed_is_replaced_without_a_second_post(
    client: WebClient, fake_slack: FakeSlack
) -> None:
    client.chat_postMessage(channel="C1", text="before")
    fake_slack.drop_connections()  # an idle timeout on Slack's side

    answer = client.chat_postMessage(channel="C1", text="after")

    assert answer["ok"]
    calls = fake_slack.calls_to("chat.postMessage")
    assert [call.params["text"] for call in calls] == ["before", "after"]
    assert calls[0].connection != calls[1].connection


def test_a_timed_out_call_never_hands_its_late_answer_to_the_next_call(fake_slack: FakeSlack) -> None:
    slack_transport.close_thread_connections()
    impatient = make_web_client(make_settings(slack_api_url=fake_slack.api_url), timeout=1)
    fake_slack.script("chat.postMessage", Reply(body={"ok": True, "ts": "late"}, delay=1.5))

    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C1", text="slow")
    answer = impatient.chat_postMessage(channel="C1", text="next")

    assert answer["ts"] != "late"
    slow, following = fake_slack.calls_to("chat.postMessage")
    assert slow.connection != following.connection


def test_rate_limits_and_server_errors_are_retried_as_before(client: WebClient, fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("chat.postMessage", retry_after=0)
    fake_slack.server_error("chat.update")
    fake_slack.fail("chat.delete", "message_not_found")

    assert client.chat_postMessage(channel="C1", text="hello")["ok"]
    assert client.chat_update(channel="C1", ts="1.1", text="hello")["ok"]
    with pytest.raises(SlackApiError) as refused:
        client.chat_delete(channel="C1", ts="1.1")

    assert refused.value.response["error"] == "message_not_found"
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert len(fake_slack.calls_to("chat.update")) == 2
    assert len({call.connection for call in fake_slack.calls}) == 1  # errors answered in full keep it open


def test_slack_unreachable_is_a_connection_error_as_with_urllib() -> None:
    slack_transport.close_thread_connections()
    client = make_web_client(make_settings(slack_api_url="http://127.0.0.1:9/api/"), timeout=2)

    with pytest.raises(URLError):
        client.chat_postMessage(channel="C1", text="hello")


def test_a_copied_client_works_and_shares_the_threads_connection(client: WebClient, fake_slack: FakeSlack) -> None:
    copied = copy.deepcopy(client)  # as Bolt copies a request's client for its lazy listeners

    client.chat_postMessage(channel="C1", text="original")
    copied.chat_postMessage(channel="C1", text="copy")

    assert len({call.connection for call in fake_slack.calls_to("chat.postMessage")}) == 1


def test_a_finished_threads_connections_are_closed(client: WebClient, fake_slack: FakeSlack) -> None:
    thread = threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="from a worker"))
    thread.start()
    thread.join()
    del thread
    gc.collect()

    eventually(lambda: not fake_slack._open)  # the server saw the connection end
