"""Which customer groups an entry is tagged with: `#group-name` words in a command's text and the groups
chosen in the form; the card the person sees is what was stored."""

from __future__ import annotations

from bot.deps import Deps
from bot.services import entries as entry_service
from bot.services import groups as group_service
from storage.models import EntryKind

TEAM = "T111"
OTHER_TEAM = "T222"
USER = "UANNA"


def _log(
    deps: Deps, text: str, *, key: str, group_ids: tuple[int, ...] = (), tags: bool = True
) -> entry_service.Logged:
    return entry_service.log_entry(
        deps,
        entry_service.NewEntry(
            team_id=TEAM,
            kind=EntryKind.PROUD,
            author_id=USER,
            channel_id="C1",
            text=text,
            idempotency_key=key,
            group_ids=group_ids,
            tags_from_text=tags,
        ),
    )


def test_hashtags_tag_the_workspaces_active_groups_whatever_their_case(deps: Deps) -> None:
    clinics = group_service.add_group(deps, team_id=TEAM, name="Small  clinics", by=USER)
    shops = group_service.add_group(deps, team_id=TEAM, name="E-commerce", by=USER)
    old = group_service.add_group(deps, team_id=TEAM, name="Old group", by=USER)
    group_service.archive_group(deps, team_id=TEAM, by="UADMIN", group_id=old.id)
    group_service.add_group(deps, team_id=OTHER_TEAM, name="Hospitals", by=USER)

    logged = _log(deps, "Fixed it #SMALL-clinics #e-commerce #old-group #hospitals #nope, #small-clinics", key="k1")

    assert logged.created
    assert logged.card.group_names == ("E-commerce", "Small clinics")  # by name, once each
    assert logged.card.group_ids == (shops.id, clinics.id)
    assert logged.card.text == "Fixed it #SMALL-clinics #e-commerce #old-group #hospitals #nope, #small-clinics"
    stored = entry_service.get_card(deps, team_id=TEAM, entry_id=logged.card.id)
    assert stored == logged.card  # what the person was shown is what a later read gives


def test_a_tagged_entry_delivered_again_is_stored_once_with_its_groups(deps: Deps) -> None:
    """The insert and the groups' look-up are one statement on PostgreSQL: a replay finds no row to insert and
    shows the stored entry, its groups and chosen ones included; a workspace without groups tags nothing."""
    assert _log(deps, "Shipped it #small-clinics #12", key="k0").card.group_ids == ()
    clinics = group_service.add_group(deps, team_id=TEAM, name="Small clinics", by=USER)
    twelve = group_service.add_group(deps, team_id=TEAM, name="12", by=USER)
    shops = group_service.add_group(deps, team_id=TEAM, name="E-commerce", by=USER)

    first = _log(deps, "Called back #small-clinics #12", key="k1", group_ids=(shops.id,))
    again = _log(deps, "Called back #small-clinics #12", key="k1", group_ids=(shops.id,))

    assert first.created and not again.created
    assert first.card.group_ids == (twelve.id, shops.id, clinics.id)  # by name
    assert again.card.id == first.card.id
    assert set(again.card.group_ids) == {twelve.id, shops.id, clinics.id}
    assert entry_service.get_card(deps, team_id=TEAM, entry_id=first.card.id) == first.card


def test_chosen_groups_of_another_workspace_or_archived_are_ignored(deps: Deps) -> None:
    clinics = group_service.add_group(deps, team_id=TEAM, name="Small clinics", by=USER)
    old = group_service.add_group(deps, team_id=TEAM, name="Old group", by=USER)
    group_service.archive_group(deps, team_id=TEAM, by="UADMIN", group_id=old.id)
    theirs = group_service.add_group(deps, team_id=OTHER_TEAM, name="Hospitals", by=USER)

    logged = _log(deps, "From the form #old-group", key="k2", group_ids=(theirs.id, clinics.id, clinics.id, old.id))

    assert logged.card.group_ids == (clinics.id,)
    assert entry_service.get_card(deps, team_id=TEAM, entry_id=logged.card.id) == logged.card


def test_without_tags_from_text_hashtags_are_only_words(deps: Deps) -> None:
    group_service.add_group(deps, team_id=TEAM, name="Small clinics", by=USER)

    logged = _log(deps, "A form's text #small-clinics", key="k3", tags=False)

    assert logged.card.group_ids == ()


def test_a_replaced_root_cause_is_kept_copied_to_its_writer_and_forgotten_with_them(deps: Deps) -> None:
    """The root cause someone else replaced stays in the sorry's history, in its writer's copy of their data,
    and loses its writer's name when they are forgotten."""
    from sqlalchemy import select

    from bot.export import person_data
    from bot.services import privacy
    from storage.models import RootCauseRevision

    sorry = entry_service.log_entry(
        deps,
        entry_service.NewEntry(
            team_id=TEAM, kind=EntryKind.SORRY, author_id=USER, channel_id="C1", text="Late refund", idempotency_key="s"
        ),
    ).card
    entry_service.add_root_cause(deps, team_id=TEAM, entry_id=sorry.id, root_cause="One approver", by="UBEN")
    card = entry_service.add_root_cause(deps, team_id=TEAM, entry_id=sorry.id, root_cause="No cover", by=USER)

    assert card is not None and card.root_cause_history == (("One approver", "UBEN"),)
    assert card.root_cause_writers == ("UBEN",)
    same = entry_service.add_root_cause(deps, team_id=TEAM, entry_id=sorry.id, root_cause=" No cover ", by="UCARL")
    assert same is not None and len(same.root_cause_history) == 1  # the same cause again changes nothing
    copy = person_data(deps.session_factory, team_id=TEAM, user_id="UBEN")
    assert [row["root_cause"] for row in copy["root_causes_written"]] == ["One approver"]

    privacy.forget(deps, team_id=TEAM, user_id="UBEN")

    with deps.session_factory() as session:
        [kept] = session.scalars(select(RootCauseRevision)).all()
        assert (kept.text, kept.written_by, kept.replaced_by) == ("One approver", None, USER)


def test_tags_are_found_as_typed_and_compared_without_case_accents_or_signs() -> None:
    from bot.tags import group_tag, tag_key, tags_in

    text = "Fixed #Small-clinics ##hash #zürich, see https://x.example/a#part &#35;1 and #small-CLINICS."
    assert tags_in(text) == ["Small-clinics", "hash", "zürich"]
    assert tag_key("#Zurich") == tag_key("Zürich") == "zurich"
    assert [group_tag(name, 7) for name in ("Small  clinics", "#hash", "Zürich & Bern", "🚀", "Women's health")] == [
        "#small-clinics",
        "#hash",
        "#zürich-bern",
        "#group-7",
        "#women-s-health",
    ]
