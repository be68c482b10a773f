"""The customer journey (issue 18, item 1): its stages and who may edit them, `>stage` in `/proud` and `/sorry`,
the stage in the forms, the breakdown map (`/mindset journey`), the digest's part and the export; the real app
over HTTP against the fake Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot import ids
from bot.deps import Deps
from bot.digest.chart import png_size
from bot.digest.compose import compose_common
from bot.digest.period import Week
from bot.export import action_row, entry_row, person_data
from bot.journey import (
    DEFAULT_STAGES,
    STAGES_MAX,
    JourneyProblem,
    parse_stages,
    stage_in,
    stage_words,
)
from bot.render.digest import digest_blocks
from bot.render.journey import digest_journey_text, map_blocks, stage_mark_note
from bot.services import actions as action_service
from bot.services import entries as entry_service
from bot.services import groups as group_service
from bot.services import journey as journey_service
from bot.worktime import zone
from storage.models import ActionItem, Entry, EntryKind, JourneyStage, SettingsChange
from storage.repositories import channels as channels_repo
from storage.repositories.erasure import purge_team
from storage.repositories.exports import iter_actions
from tests.conftest import RunningBot
from tests.slack_requests import CHANNEL, TEAM, USER
from tests.sql_log import each_statement

ADMIN = "W0ADMIN"
MEMBER = "W0MEMBER"


# -- `>stage` and edited journeys, as words ------------------------------------------------------------------


def test_stage_words_are_a_gt_before_a_word_not_inside_one_nor_a_number_nor_a_quote() -> None:
    text = "Refund late >Get-help again >RENEW, a>b, 3 > 2, >12, > spaced, &gt;buy and >get-help"
    assert stage_words(text) == ["Get-help", "RENEW", "buy"]


def test_a_stage_is_named_by_its_name_or_a_start_only_it_has() -> None:
    stages = (*DEFAULT_STAGES, "Up-sell")
    assert stage_in("Waited two days >gethelp", stages).stage == "Get help"
    assert stage_in("Waited >ON", stages).stage == "Onboard"
    assert stage_in("Waited >use", stages).stage == "Use"  # its whole name, though Up-sell starts with U too
    ambiguous = stage_in("Waited >u", stages)
    assert ambiguous.stage is None and ambiguous.ambiguous == (("u", ("Use", "Up-sell")),)
    unknown = stage_in("Waited >checkout then >renew and >buy", stages)
    assert (unknown.stage, unknown.unknown, unknown.ignored) == ("Renew", ("checkout",), ("Buy",))
    note = stage_mark_note(unknown, stages)
    assert note is not None and "`&gt;checkout` names no stage" in note and "Discover → Buy" in note


def test_an_edited_journey_is_checked_line_by_line() -> None:
    assert parse_stages("1. Find us\n\n- Buy\n• Set up\n2) Use it\n24h support", allow_empty=False) == (
        "Find us",
        "Buy",
        "Set up",
        "Use it",
        "24h support",
    )
    assert parse_stages("  \n ", allow_empty=True) == ()
    problems = {
        "Only one": "at least 2 stages",
        "\n".join(f"Stage {n}" for n in range(STAGES_MAX + 1)): f"keep it to {STAGES_MAX}",
        "Buy\n" + "x" * 41: "keep each stage to 40",
        "Buy\nUse\nbuy": "“Buy” and “buy” are the same stage",
        "Buy\n!!!": "no letter or digit",
    }
    for text, said in problems.items():
        with pytest.raises(JourneyProblem, match=said):
            parse_stages(text, allow_empty=False)


# -- entries and items with a stage -----------------------------------------------------------------------


def _log(deps: Deps, text: str, *, key: str, kind: EntryKind = EntryKind.SORRY, **more: Any) -> entry_service.Logged:
    return entry_service.log_entry(
        deps,
        entry_service.NewEntry(
            team_id=TEAM,
            kind=kind,
            author_id=USER,
            channel_id=CHANNEL,
            text=text,
            idempotency_key=key,
            tags_from_text=more.pop("tags", True),
            **more,
        ),
    )


def test_a_stage_in_the_text_is_stored_and_a_text_without_gt_costs_no_statement_more(
    deps: Deps, engine: Engine
) -> None:
    statements: list[str] = []
    with each_statement(engine, statements.append):
        plain = _log(deps, "Refund took two days", key="k0")
    assert plain.card.stage is None and plain.stage_match is None
    assert not any("journey_stages" in statement for statement in statements)

    logged = _log(deps, "Refund took two days >get-help", key="k1")
    assert logged.card.stage == "Get help"
    assert entry_service.get_card(deps, team_id=TEAM, entry_id=logged.card.id) == logged.card

    unknown = _log(deps, "Checkout broke >checkout", key="k2")
    assert unknown.card.stage is None and unknown.card.text == "Checkout broke >checkout"  # kept as text
    assert unknown.stage_match is not None and unknown.stage_match.unknown == ("checkout",)

    form = _log(deps, "From the form >buy", key="k3", tags=False, stage="Renew")  # the form's own stage, no parsing
    assert form.card.stage == "Renew"


def test_a_groups_own_journey_adds_its_stages_and_an_archived_groups_goes(deps: Deps) -> None:
    clinics = group_service.add_group(deps, team_id=TEAM, name="Small clinics", by=USER)
    journey_service.set_journey(deps, team_id=TEAM, by=ADMIN, group_id=clinics.id, text="Referral\nBuy\nUse")
    journeys = journey_service.get_journeys(deps, team_id=TEAM)
    assert journeys.of_group(clinics.id) == ("Referral", "Buy", "Use")
    assert journeys.every_stage == (*DEFAULT_STAGES, "Referral")
    assert _log(deps, "No referral letter >ref #small-clinics", key="k1").card.stage == "Referral"

    group_service.archive_group(deps, team_id=TEAM, by=ADMIN, group_id=clinics.id)
    assert journey_service.stage_options(deps, team_id=TEAM) == DEFAULT_STAGES


def test_the_workspace_journey_replaces_the_default_and_empty_brings_it_back(deps: Deps) -> None:
    journey_service.set_journey(deps, team_id=TEAM, by=ADMIN, group_id=None, text="Find\nPay\nUse", key="v1")
    journey_service.set_journey(deps, team_id=TEAM, by=ADMIN, group_id=None, text="Find\nPay\nUse", key="v2")
    assert journey_service.get_journeys(deps, team_id=TEAM).stages == ("Find", "Pay", "Use")
    assert journey_service.get_journeys(deps, team_id="T0OTHER").stages == DEFAULT_STAGES
    with deps.session_factory() as session:
        changes = session.scalars(select(SettingsChange).order_by(SettingsChange.id)).all()
        assert [(c.setting, c.new_value) for c in changes] == [("journey", "Find → Pay → Use")]  # once: no change
    journey_service.set_journey(deps, team_id=TEAM, by=ADMIN, group_id=None, text="")
    assert journey_service.get_journeys(deps, team_id=TEAM) == journey_service.Journeys(DEFAULT_STAGES, False, {})


# -- the map, the digest, the export --------------------------------------------------------------------------


def _action(deps: Deps, title: str, *, stage: str | None, group_ids: tuple[int, ...] = ()) -> int:
    card, _ = action_service.create_action(
        deps,
        action_service.NewAction(
            team_id=TEAM,
            title=title,
            owner_id=USER,
            created_by=USER,
            due_date=date.today() + timedelta(days=30),
            today=date.today(),
            idempotency_key=f"a:{title}",
            group_ids=group_ids,
            stage=stage,
        ),
    )
    assert card.stage == stage
    return card.id


def _seed(deps: Deps) -> tuple[int, int]:
    clinics = group_service.add_group(deps, team_id=TEAM, name="Small clinics", by=USER)
    shops = group_service.add_group(deps, team_id=TEAM, name="Shops", by=USER)
    for n, text in enumerate(
        [
            "Invoice twice >buy #small-clinics",
            "Waited on the phone >get-help #small-clinics",
            "Nobody answered >get #shops",
            "Chat closed early >get-help",
            "Setup failed >onboard #small-clinics #shops",
            "Something vague",
        ]
    ):
        _log(deps, text, key=f"s{n}")
    _log(deps, "Great onboarding >onboard", key="p0", kind=EntryKind.PROUD)  # prouds are not breakdowns
    _action(deps, "Phone cover at lunch", stage="Get help", group_ids=(clinics.id,))
    _action(deps, "Invoice check", stage="Buy")
    done = _action(deps, "Old fix", stage="Get help")
    action_service.set_status(deps, team_id=TEAM, action_id=done, user_id=USER, status=action_service.ActionStatus.DONE)
    _action(deps, "No stage", stage=None)
    return clinics.id, shops.id


def test_the_breakdown_map_counts_sorries_by_stage_and_group_with_open_items(deps: Deps) -> None:
    _seed(deps)
    found = journey_service.breakdown(deps, team_id=TEAM, user_id=USER)

    assert (found.sorries, found.without_stage) == (6, 1)
    assert [(row.stage, row.sorries, row.open_actions) for row in found.stages] == [
        ("Discover", 0, 0),
        ("Buy", 1, 1),
        ("Onboard", 1, 0),
        ("Use", 0, 0),
        ("Get help", 3, 1),  # the done item is not counted
        ("Renew", 0, 0),
    ]
    assert found.top == ("Get help", "Buy", "Onboard")
    assert [item.title for item in found.items["Get help"]] == ["Phone cover at lunch"]
    by_group = {group.name: group for group in found.groups}
    assert list(by_group) == ["Small clinics", "Shops", "No customer group"]
    clinics = {row.stage: (row.sorries, row.open_actions) for row in by_group["Small clinics"].stages}
    assert clinics["Get help"] == (1, 1) and clinics["Buy"] == (1, 0) and clinics["Onboard"] == (1, 0)
    assert {row.stage: row.sorries for row in by_group["Shops"].stages}["Get help"] == 1
    assert (by_group["No customer group"].sorries, by_group["No customer group"].without_stage) == (2, 1)


def test_the_map_quotes_a_private_channels_sorries_only_to_its_members(deps: Deps) -> None:
    with deps.session_factory() as session:
        channels_repo.save(
            session, team_id=TEAM, channel_id="G0SECRET", is_private=True, members=[USER], now=deps.clock()
        )
        channels_repo.save(session, team_id=TEAM, channel_id=CHANNEL, is_private=False, members=None, now=deps.clock())
        session.commit()
    _log(deps, "Public miss >buy", key="s1")
    entry_service.log_entry(
        deps,
        entry_service.NewEntry(
            team_id=TEAM, kind=EntryKind.SORRY, author_id=USER, channel_id="G0SECRET", text="Secret miss >buy",
            idempotency_key="s2", tags_from_text=True,
        ),
    )  # fmt: skip

    member = journey_service.breakdown(deps, team_id=TEAM, user_id=USER)
    outsider = journey_service.breakdown(deps, team_id=TEAM, user_id=MEMBER)

    assert [q.text for q in member.quotes["Buy"]] == ["Secret miss >buy", "Public miss >buy"]
    assert [q.text for q in outsider.quotes["Buy"]] == ["Public miss >buy"]
    assert outsider.unquoted == 1 and outsider.stages[1].sorries == 2  # counted for everyone
    assert "Secret miss" not in json.dumps(map_blocks(outsider))


def test_the_digest_says_where_the_journey_breaks_in_its_common_part(deps: Deps) -> None:
    _seed(deps)
    now = deps.clock()
    today = now.astimezone(UTC).date()
    week = Week(today - timedelta(days=today.weekday()), zone("UTC"))
    with deps.session_factory() as session:
        common = compose_common(session, team_id=TEAM, week=week, now=now)
    assert [(row.stage, row.sorries, row.open_actions) for row in common.journey.stages] == [
        ("Get help", 3, 1),
        ("Buy", 1, 1),
        ("Onboard", 1, 0),
    ]
    text = digest_journey_text(common.journey)
    assert text is not None and "*Onboard*: 1 sorry, no open action" in text

    from bot.digest.compose import Reader, ReaderKind, for_reader

    blocks = digest_blocks(for_reader(common, Reader(ReaderKind.PERSON, USER)), today=today)
    assert any("Where the journey breaks" in json.dumps(block) for block in blocks)


def test_the_export_has_each_entrys_and_items_stage_and_a_purge_takes_the_journey(deps: Deps) -> None:
    clinics, _ = _seed(deps)
    journey_service.set_journey(deps, team_id=TEAM, by=ADMIN, group_id=clinics, text="Referral\nUse")
    with deps.session_factory() as session:
        entries = session.scalars(select(Entry).order_by(Entry.id)).all()
        assert [entry_row(entry)["stage"] for entry in entries][:3] == ["Buy", "Get help", "Get help"]
        rows = [action_row(found)["stage"] for found in iter_actions(session, team_id=TEAM)]
        assert sorted(str(stage) for stage in rows) == ["Buy", "Get help", "Get help", "None"]
        copy = person_data(deps.session_factory, team_id=TEAM, user_id=USER)  # "my data"
        assert [entry["stage"] for entry in copy["entries"]][:3] == ["Buy", "Get help", "Get help"]
        assert sorted(str(item["stage"]) for item in copy["actions"]) == ["Buy", "Get help", "Get help", "None"]
        counts = purge_team(session, team_id=TEAM)
        session.commit()
        assert counts["journey_stages"] == 2
        assert session.scalar(select(func.count()).select_from(JourneyStage)) == 0


# -- through Slack ------------------------------------------------------------------------------------------


def mindset(bot: RunningBot, text: str, *, user: str = USER) -> dict[str, Any]:
    answer = bot.slack.send_command("/mindset", text, user=user)
    assert answer.status == 200, answer.text
    return answer.json if answer.text else {}


def stages_value(text: str) -> dict[str, dict[str, Any]]:
    return {ids.JOURNEY_STAGES_BLOCK: {ids.JOURNEY_STAGES_INPUT: {"type": "plain_text_input", "value": text}}}


def test_only_admins_edit_the_journey_in_a_form(bot: RunningBot) -> None:
    bot.fake.add_user(ADMIN, role="admin")
    bot.fake.add_user(MEMBER, role="member")
    group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)

    refused = mindset(bot, "journey edit", user=MEMBER)
    assert refused["text"].startswith("You cannot change the customer journey")
    assert bot.fake.calls_to("views.open") == []

    assert mindset(bot, "journey edit #nope", user=ADMIN)["text"].startswith("No customer group has the tag")
    mindset(bot, "journey edit", user=ADMIN)
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    assert view["callback_id"] == ids.JOURNEY_MODAL
    assert view["blocks"][1]["element"]["initial_value"] == "\n".join(DEFAULT_STAGES)

    # a member's crafted submission is refused; too many stages are refused with the limit
    crafted = bot.slack.view_submission(view, stages_value("Hijack\nMe"), view_id="V1", user=MEMBER)
    answer = bot.slack.send_interaction(crafted)
    assert answer.json["errors"][ids.JOURNEY_STAGES_BLOCK].startswith("You cannot change the customer journey")
    many = "\n".join(f"Stage {n}" for n in range(13))
    answer = bot.slack.send_interaction(bot.slack.view_submission(view, stages_value(many), view_id="V2", user=ADMIN))
    assert "keep it to 12" in answer.json["errors"][ids.JOURNEY_STAGES_BLOCK]
    assert journey_service.get_journeys(bot.deps, team_id=TEAM).stages == DEFAULT_STAGES

    answer = bot.slack.send_interaction(
        bot.slack.view_submission(view, stages_value("Find us\nBuy\nUse\nGet help"), view_id="V3", user=ADMIN)
    )
    assert answer.status == 200 and not answer.text
    assert journey_service.get_journeys(bot.deps, team_id=TEAM).stages == ("Find us", "Buy", "Use", "Get help")
    told = bot.fake.wait_for("response_url:mindset")[-1].params["text"]
    assert told == "Saved. The customer journey: Find us → Buy → Use → Get help."

    # a group's own journey
    mindset(bot, "journey edit #small-clinics", user=ADMIN)
    group_view = bot.fake.wait_for("views.open", 2)[-1].params["view"]
    assert "Small clinics" in json.dumps(group_view["blocks"][0])
    bot.slack.send_interaction(
        bot.slack.view_submission(group_view, stages_value("Referral\nUse"), view_id="V4", user=ADMIN)
    )
    told = bot.fake.wait_for("response_url:mindset", 2)[-1].params["text"]
    assert told == "Saved. *Small clinics* has its own journey: Referral → Use."

    # everyone reads the journey and its changes in the settings
    settings = json.dumps(mindset(bot, "settings", user=MEMBER)["blocks"], ensure_ascii=False)
    assert "Customer journey: Find us → Buy → Use → Get help; 1 customer group has its own" in settings
    assert "customer journey: “Discover → Buy → Onboard → Use → Get help → Renew” → “Find us → Buy" in settings
    assert "“Small clinics: Find us → Buy → Use → Get help” → “Small clinics: Referral → Use”" in settings


def test_sorry_with_a_stage_the_form_stage_and_the_map_command(bot: RunningBot) -> None:
    answer = bot.slack.send_command("/sorry", "Refund took a week >get #nope >nowhere")
    assert answer.status == 200
    said = answer.json["text"]
    assert "at the *Get help* stage" in said and "`&gt;nowhere` names no stage" in said
    post = bot.fake.wait_for("chat.postMessage")[-1]
    assert "Journey stage: Get help" in json.dumps(post.params["blocks"])

    # the form offers the stages and keeps the one chosen (a stage no journey has is ignored)
    bot.slack.send_command("/sorry", "")
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    menu = next(block for block in view["blocks"] if block.get("block_id") == ids.ENTRY_STAGE_BLOCK)
    assert [option["value"] for option in menu["element"]["options"]] == list(DEFAULT_STAGES)
    for view_id, chosen in (("V1", "Onboard"), ("V2", "Nowhere")):
        values = {
            ids.ENTRY_TEXT_BLOCK: {ids.ENTRY_TEXT_INPUT: {"type": "plain_text_input", "value": f"Form {view_id}"}},
            ids.ENTRY_STAGE_BLOCK: {
                ids.ENTRY_STAGE_INPUT: {"type": "static_select", "selected_option": {"value": chosen}}
            },
            ids.ENTRY_CHANNEL_BLOCK: {
                ids.ENTRY_CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": CHANNEL}
            },
        }
        submitted = bot.slack.send_interaction(bot.slack.view_submission(view, values, view_id=view_id))
        assert submitted.status == 200
    with bot.deps.session_factory() as session:
        stored = {entry.text: entry.stage for entry in session.scalars(select(Entry))}
    assert stored == {"Refund took a week >get #nope >nowhere": "Get help", "Form V1": "Onboard", "Form V2": None}

    # an action item from the sorry's button starts at the sorry's stage
    sorry_id = min(entry_id for entry_id in _entry_ids(bot))
    bot.slack.send_interaction(bot.slack.block_action(ids.CREATE_ACTION_FROM_SORRY, str(sorry_id)))
    form = bot.fake.wait_for("views.open", 2)[-1].params["view"]
    menu = next(block for block in form["blocks"] if block.get("block_id") == ids.ACTION_STAGE_BLOCK)
    assert menu["element"]["initial_option"]["value"] == "Get help"
    values = {
        ids.ACTION_TITLE_BLOCK: {ids.ACTION_TITLE_INPUT: {"type": "plain_text_input", "value": "Refund in a day"}},
        ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"type": "users_select", "selected_user": USER}},
        ids.ACTION_DUE_BLOCK: {
            ids.ACTION_DUE_INPUT: {
                "type": "datepicker",
                "selected_date": (datetime.now(UTC).date() + timedelta(days=20)).isoformat(),
            }
        },
        ids.ACTION_STAGE_BLOCK: {
            ids.ACTION_STAGE_INPUT: {"type": "static_select", "selected_option": {"value": "Get help"}}
        },
    }
    done = bot.slack.send_interaction(bot.slack.view_submission(form, values, view_id="V3"))
    assert done.json["response_action"] == "update", done.text
    with bot.deps.session_factory() as session:
        assert [item.stage for item in session.scalars(select(ActionItem))] == ["Get help"]

    # the map: text blocks in the answer, the picture in the person's DM with the bot
    mindset(bot, "journey")
    answered = bot.fake.wait_for("response_url:mindset")[-1].params
    shown = json.dumps(answered["blocks"], ensure_ascii=False)
    assert "*3 sorries*" in shown and "1 of them carries no stage" in shown
    assert "*Get help*: 1 sorry · 1 open action" in shown
    assert "*Onboard*: 1 sorry :warning: no open action" in shown
    upload = bot.fake.wait_for("files.completeUploadExternal")[-1]
    assert "journey" in json.dumps(upload.params)
    assert mindset(bot, "journey 60")["text"].startswith("Look back 1 to 52 weeks")
    assert mindset(bot, "journey soon")["text"].startswith("Journey: `/mindset journey` shows")


def _entry_ids(bot: RunningBot) -> list[int]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(Entry.id).where(Entry.kind == EntryKind.SORRY.value)))


def test_the_map_picture_is_a_png_of_the_journeys_stages(deps: Deps) -> None:
    _seed(deps)
    from bot.render.journey import map_chart

    chart = map_chart(journey_service.breakdown(deps, team_id=TEAM, user_id=USER))
    assert chart is not None and png_size(chart) == (720, 300)
    assert map_chart(journey_service.breakdown(deps, team_id="T0EMPTY", user_id=USER)) is None


@given(st.text(alphabet=st.sampled_from("ab >-&gt;_1éG \n#"), max_size=60))
def test_any_text_names_at_most_one_stage_of_the_journey_and_keeps_every_other_word(text: str) -> None:
    found = stage_in(text, DEFAULT_STAGES)
    assert found.stage is None or found.stage in DEFAULT_STAGES
    words = stage_words(text)
    assert set(found.unknown) | {word for word, _ in found.ambiguous} <= set(words)
    assert all(">" not in word and word.strip("-_") == word for word in words)
